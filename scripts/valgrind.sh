#!/usr/bin/env bash
# Runs the integration tests of coffi-tests and coffi-syslib-tests (every test
# target of both packages) and the tour example under valgrind's memcheck; fails on the first
# memcheck error. Installs valgrind (Debian's package) if it is missing.
#
#   scripts/valgrind.sh            # everything
#   scripts/valgrind.sh seed       # only test targets whose name starts so
#
# Logs are kept in target/valgrind/ (under CARGO_TARGET_DIR if set).
#
# Under valgrind coffi registers its stacks with valgrind, uses separate
# guard mappings (valgrind does not know MADV_GUARD_INSTALL guard regions)
# and tells memcheck where windows alias (runtime/src/valgrind.rs).
#
# --trace-children=no: the tests that check a crash (a stack overflow past a
# guard page, a strict-mode write to a protected window: libc.rs and
# seed.rs) re-run their own binary as a child (COFFI_TEST_CHILD) and expect
# it to die by SIGSEGV handling and abort. Those deliberate faults are the
# point of the child, not memory errors; the children run natively and the
# parent test still checks what they printed and how they ended.
#
# Left out under valgrind, which runs one thread at a time and keeps
# mappings of its own: tests that assert wall-clock overlap of many threads
# or count the process's mappings and descriptors, and two blocking-call
# tests that take 35 to 45 s each under memcheck (a coroutine spinning on
# yield_now while a helper thread works; a callback at home that moves the
# stack). They all run natively in `cargo test --workspace`; the callbacks
# at home, errno and on_panic paths stay covered here by the other tests of
# blocking.rs.
set -euo pipefail
cd "$(dirname "$0")/.."

declare -A skip=(
    [blocking]="--skip sixty_four_blocking_sleeps --skip other_coroutines_run_while --skip a_callback_at_home_that_needs_room"
    [server_no_leak]="--skip a_thousand_connections_leave_no_descriptor_or_mapping_behind"
)

only=${1:-}
logs=${CARGO_TARGET_DIR:-target}/valgrind
mkdir -p "$logs"

missing=()
command -v valgrind >/dev/null || missing+=(valgrind)
command -v cc >/dev/null || missing+=(gcc libc6-dev)
[ -f /usr/include/zlib.h ] || missing+=(zlib1g-dev)
[ -f /usr/include/expat.h ] || missing+=(libexpat1-dev)
if ((${#missing[@]})); then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq "${missing[@]}" >/dev/null
fi

start=$(date +%s)

# The test binaries, as cargo reports them (one path per line).
executables() {
    grep -o '"executable":"[^"]*"' | sed 's/^"executable":"//; s/"$//'
}
mapfile -t tests < <(cargo test -p coffi-tests -p coffi-syslib-tests --tests --no-run -q --message-format=json |
    executables | sort -u)
tour=$(cargo build -p coffi-tests --release --example tour -q --message-format=json | executables)

valgrind=(
    valgrind
    --tool=memcheck
    --error-exitcode=1
    --trace-children=no
    --track-origins=yes
    --num-callers=30
)

failed=0
run() {
    local name=$1
    shift
    local log=$logs/$name.log
    if "${valgrind[@]}" --log-file="$log.vg" "$@" >"$log" 2>&1; then
        printf '%-24s ok     %s\n' "$name" "$(grep -h 'ERROR SUMMARY' "$log.vg" | sed 's/^==[0-9]*== //')"
    else
        printf '%-24s FAILED %s (see %s)\n' "$name" "$(grep -h 'ERROR SUMMARY' "$log.vg" | sed 's/^==[0-9]*== //')" "$log.vg"
        tail -n 20 "$log"
        failed=1
    fi
}

for exe in "${tests[@]}"; do
    name=$(basename "$exe")
    name=${name%-*}
    [[ -z $only || $name == "$only"* ]] || continue
    # shellcheck disable=SC2086 # the skip list is words
    run "$name" "$exe" ${skip[$name]:-}
done
[[ -z $only || tour == "$only"* ]] && run tour "$tour"

echo "valgrind: $(($(date +%s) - start)) s"
exit "$failed"
