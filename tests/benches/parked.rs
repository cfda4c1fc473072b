//! Memory of parked coroutines (issue #5, scenario 8): 100 000 live
//! coroutines, each parked in `coffi::yield_now()` after one foreign call
//! (`ffi::add`), with the default 16 KiB first window and with 4 KiB.
//!
//! For each setting a child process (this binary, `--child`) reads
//! `/proc/self/status` (VmRSS, RssShmem = stack pages in the memfd backing,
//! RssAnon = heap, VmPTE = page tables) and counts `/proc/self/maps` lines
//! before spawning and while all coroutines are parked; the table shows the
//! differences divided by the number of coroutines.
//!
//! Every live coroutine costs one or two mappings (its window, plus a guard
//! mapping where the kernel has no guard regions; a third row forces that
//! with `COFFI_GUARD_PAGES=mapping`), so 100 000 of them need
//! `vm.max_map_count` above the default 65530: the bench raises it by writing
//! `/proc/sys/vm/max_map_count` when it may (as root), and otherwise runs as
//! many coroutines as fit, saying so.
//!
//! `cargo bench -p coffi-benches --bench parked`. Without `--bench` (as built
//! and run by `cargo test --benches`) it makes a 1000-coroutine smoke run of
//! the 16 KiB rows and leaves `vm.max_map_count` alone.

use coffi_tests::ffi;
use core::ffi::c_int;
use std::process::Command;
use std::time::Instant;

const KIB: usize = 1024;
/// Coroutines of the real run.
const COROUTINES: usize = 100_000;
/// Coroutines of the smoke run under `cargo test`.
const SMOKE_COROUTINES: usize = 1_000;
/// Mappings a live coroutine may need: its window and a guard page.
const MAPPINGS_PER_COROUTINE: usize = 2;
/// Mappings left for everything else: the runtime, libraries, the heap.
const MAPPINGS_MARGIN: usize = 10_000;
/// The settings compared: first window, and whether windows get a separate
/// guard mapping (what kernels without guard regions need) instead of a
/// guard region inside the window's mapping.
const SETTINGS: [(usize, bool); 3] = [(16 * KIB, false), (4 * KIB, false), (16 * KIB, true)];
/// Makes the runtime use a separate guard mapping per window.
const GUARD_PAGES_ENV: (&str, &str) = ("COFFI_GUARD_PAGES", "mapping");
const MAX_MAP_COUNT: &str = "/proc/sys/vm/max_map_count";

/// Memory figures of this process, in bytes (mappings: a count).
#[derive(Clone, Copy, Debug, Default)]
struct Memory {
    rss: usize,
    shmem: usize,
    anon: usize,
    page_tables: usize,
    mappings: usize,
}

impl Memory {
    /// Reads `/proc/self/status` and `/proc/self/maps`.
    fn now() -> Memory {
        let status = std::fs::read_to_string("/proc/self/status").expect("read /proc/self/status");
        let kib = |field: &str| {
            status
                .lines()
                .find_map(|line| line.strip_prefix(field))
                .and_then(|rest| {
                    rest.trim()
                        .trim_end_matches("kB")
                        .trim()
                        .parse::<usize>()
                        .ok()
                })
                .map_or(0, |k| k * KIB)
        };
        let (rss, shmem, anon, page_tables) = (
            kib("VmRSS:"),
            kib("RssShmem:"),
            kib("RssAnon:"),
            kib("VmPTE:"),
        );
        let mappings = std::fs::read_to_string("/proc/self/maps")
            .expect("read /proc/self/maps")
            .lines()
            .count();
        Memory {
            rss,
            shmem,
            anon,
            page_tables,
            mappings,
        }
    }
}

/// What a child run reports.
#[derive(Debug)]
struct Row {
    initial_stack: usize,
    guard_mappings: bool,
    coroutines: usize,
    parked: usize,
    before: Memory,
    after: Memory,
    spawn_ns: f64,
}

impl Row {
    fn per(&self, pick: fn(&Memory) -> usize) -> f64 {
        (pick(&self.after) as f64 - pick(&self.before) as f64) / self.coroutines as f64
    }
}

/// In the child: `n` coroutines with `initial_stack`, each makes a foreign
/// call and parks; measures before and while they are parked.
fn child(initial_stack: usize, n: usize) {
    let row = coffi::Builder::new()
        .initial_stack(initial_stack)
        .run(move || {
            // Reading /proc needs more than a small window: measure in a
            // larger one (mapped here, before the baseline).
            let before = coffi::maybe_grow(256 * KIB, Memory::now);
            let start = Instant::now();
            let handles: Vec<_> = (0..n)
                .map(|i| {
                    coffi::spawn(move || {
                        let sum = ffi::add(i as c_int, 1);
                        coffi::yield_now();
                        sum
                    })
                })
                .collect();
            // Every coroutine now runs once: its foreign call, then it parks
            // in `yield_now` behind this one.
            coffi::yield_now();
            let spawn_ns = start.elapsed().as_nanos() as f64 / n as f64;
            let after = coffi::maybe_grow(256 * KIB, Memory::now);
            let parked = handles.iter().filter(|h| !h.is_finished()).count();
            for (i, handle) in handles.into_iter().enumerate() {
                assert_eq!(handle.join().ok(), Some(i as c_int + 1));
            }
            Row {
                initial_stack,
                guard_mappings: false,
                coroutines: n,
                parked,
                before,
                after,
                spawn_ns,
            }
        })
        .expect("the coffi runtime starts");
    let (b, a) = (row.before, row.after);
    println!(
        "ROW {} {} {} {} {} {} {} {} {} {} {} {} {} {}",
        row.initial_stack,
        row.coroutines,
        row.parked,
        b.rss,
        b.shmem,
        b.anon,
        b.page_tables,
        b.mappings,
        a.rss,
        a.shmem,
        a.anon,
        a.page_tables,
        a.mappings,
        row.spawn_ns
    );
}

/// Parses a child's `ROW` line.
fn parse_row(output: &str) -> Option<Row> {
    let line = output.lines().find_map(|l| l.strip_prefix("ROW "))?;
    let f: Vec<&str> = line.split_whitespace().collect();
    let u = |i: usize| f.get(i).and_then(|s| s.parse::<usize>().ok());
    let memory = |at: usize| -> Option<Memory> {
        Some(Memory {
            rss: u(at)?,
            shmem: u(at + 1)?,
            anon: u(at + 2)?,
            page_tables: u(at + 3)?,
            mappings: u(at + 4)?,
        })
    };
    Some(Row {
        initial_stack: u(0)?,
        guard_mappings: false,
        coroutines: u(1)?,
        parked: u(2)?,
        before: memory(3)?,
        after: memory(8)?,
        spawn_ns: f.get(13)?.parse().ok()?,
    })
}

fn read_max_map_count() -> Option<usize> {
    std::fs::read_to_string(MAX_MAP_COUNT)
        .ok()?
        .trim()
        .parse()
        .ok()
}

/// Makes room for `wanted` coroutines under `vm.max_map_count` if it may;
/// returns how many coroutines fit.
fn ensure_mappings(wanted: usize, may_raise: bool) -> usize {
    let need = wanted * MAPPINGS_PER_COROUTINE + MAPPINGS_MARGIN;
    let Some(current) = read_max_map_count() else {
        println!("vm.max_map_count: unreadable; trying {wanted} coroutines");
        return wanted;
    };
    if current >= need {
        println!("vm.max_map_count = {current} (>= {need} needed): left as is");
        return wanted;
    }
    if may_raise {
        match std::fs::write(MAX_MAP_COUNT, format!("{need}\n")) {
            Ok(()) if read_max_map_count() == Some(need) => {
                println!(
                    "vm.max_map_count was {current}, below the {need} that {wanted} coroutines \
                     need: raised it to {need} by writing {MAX_MAP_COUNT}"
                );
                return wanted;
            }
            Ok(()) => println!("vm.max_map_count: writing {need} to {MAX_MAP_COUNT} did not take"),
            Err(err) => println!("vm.max_map_count: cannot write {MAX_MAP_COUNT}: {err}"),
        }
    }
    let fit = current.saturating_sub(MAPPINGS_MARGIN) / MAPPINGS_PER_COROUTINE;
    println!(
        "vm.max_map_count = {current} is below the {need} that {wanted} coroutines need{}: \
         running {fit} coroutines instead",
        if may_raise {
            ""
        } else {
            " (not raised outside `cargo bench`)"
        }
    );
    fit
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(at) = args.iter().position(|a| a == "--child") {
        let arg = |i: usize| -> usize {
            args.get(at + i)
                .and_then(|s| s.parse().ok())
                .expect("usage: parked --child INITIAL_STACK COROUTINES")
        };
        child(arg(1), arg(2));
        return;
    }
    // `cargo bench` passes `--bench`; `cargo test --benches` does not.
    let bench = args.iter().any(|a| a == "--bench");
    let wanted = if bench { COROUTINES } else { SMOKE_COROUTINES };
    let n = ensure_mappings(wanted, bench);
    let exe = std::env::current_exe().expect("the bench binary's own path");

    let mut rows = Vec::new();
    // Unoptimized frames (the smoke run is a debug build) do not fit 4 KiB.
    let settings = SETTINGS
        .into_iter()
        .filter(|&(initial, _)| bench || initial >= 16 * KIB);
    for (initial, guard_mappings) in settings {
        let mut command = Command::new(&exe);
        command.args(["--child", &initial.to_string(), &n.to_string()]);
        if guard_mappings {
            command.env(GUARD_PAGES_ENV.0, GUARD_PAGES_ENV.1);
        } else {
            command.env_remove(GUARD_PAGES_ENV.0);
        }
        let output = command.output().expect("run the measuring child");
        let stdout = String::from_utf8_lossy(&output.stdout);
        match parse_row(&stdout) {
            Some(row) if output.status.success() => rows.push(Row {
                guard_mappings,
                ..row
            }),
            _ => panic!(
                "the child with initial_stack {initial} failed ({}):\n{stdout}\n{}",
                output.status,
                String::from_utf8_lossy(&output.stderr)
            ),
        }
    }

    println!();
    println!(
        "| initial_stack | guard page | live coroutines | resident / coroutine | stack pages (RssShmem) / coroutine | heap (RssAnon) / coroutine | page tables (VmPTE) / coroutine | mappings / coroutine | vm.max_map_count needed for 100k | spawn + call + park / coroutine |"
    );
    println!("|---|---|---|---:|---:|---:|---:|---:|---:|---:|");
    for row in &rows {
        let maps = row.per(|m| m.mappings);
        let needed = row.before.mappings as f64 + maps * COROUTINES as f64;
        println!(
            "| {} KiB | {} | {} ({} parked) | {:.2} KiB | {:.2} KiB | {:.2} KiB | {:.2} KiB | {:.2} | {:.0} | {:.0} ns |",
            row.initial_stack / KIB,
            if row.guard_mappings {
                "own mapping (COFFI_GUARD_PAGES=mapping)"
            } else {
                "in the window (guard region)"
            },
            row.coroutines,
            row.parked,
            row.per(|m| m.rss) / KIB as f64,
            row.per(|m| m.shmem) / KIB as f64,
            row.per(|m| m.anon) / KIB as f64,
            row.per(|m| m.page_tables) / KIB as f64,
            maps,
            needed,
            row.spawn_ns,
        );
    }
    if n < COROUTINES {
        println!(
            "\n(ran {n} coroutines, not {COROUTINES}: {})",
            if bench {
                "vm.max_map_count could not be raised"
            } else {
                "smoke run outside `cargo bench`"
            }
        );
    }
}
