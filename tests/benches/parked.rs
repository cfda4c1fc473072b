//! Memory of parked coroutines (issues #5 and #13): live coroutines, each
//! parked in `coffi::yield_now()` after one foreign call (`ffi::add`), up to
//! a million at once on the default `vm.max_map_count` (65530), without
//! root.
//!
//! For each setting a child process (this binary, `--child`) reads
//! `/proc/self/status` (VmRSS, RssShmem = stack pages in the memfd backing,
//! RssAnon = heap, VmPTE = page tables) and counts `/proc/self/maps` lines
//! before spawning and while all coroutines are parked; the table shows the
//! differences divided by the number of coroutines.
//!
//! First windows are carved from chunks, one mapping per 1024 coroutines
//! with guard regions. Without them (`COFFI_GUARD_PAGES=mapping`, as on
//! kernels before 6.15) every first window costs two mappings, so that row
//! runs as many coroutines as `vm.max_map_count` leaves room for, and says
//! so; the bench never raises the limit. A relocated row grows one
//! coroutine in ten before it parks: each grown window costs two mappings.
//!
//! `cargo bench -p coffi-tests --bench parked`. Without `--bench` (as built
//! and run by `cargo test --benches`) it makes a 1000-coroutine smoke run of
//! the 16 KiB rows.

use coffi_tests::ffi;
use core::ffi::c_int;
use std::process::Command;
use std::time::Instant;

const KIB: usize = 1024;
/// Coroutines of the history rows (issue #5's scale).
const HUNDRED_THOUSAND: usize = 100_000;
/// Coroutines of the million row.
const MILLION: usize = 1_000_000;
/// Coroutines of the smoke run under `cargo test`.
const SMOKE_COROUTINES: usize = 1_000;
/// Mappings a live coroutine needs with a separate guard mapping: its
/// window and its guard.
const MAPPINGS_PER_GUARDED_COROUTINE: usize = 2;
/// Mappings left for everything else: the runtime, libraries, the heap.
const MAPPINGS_MARGIN: usize = 10_000;
/// One coroutine in this many grows its stack (to 64 KiB) in the
/// relocated rows.
const RELOCATE_EVERY: usize = 10;
/// Makes the runtime use a separate guard mapping per window.
const GUARD_PAGES_ENV: (&str, &str) = ("COFFI_GUARD_PAGES", "mapping");
const MAX_MAP_COUNT: &str = "/proc/sys/vm/max_map_count";

/// One row of the table: what the child runs.
#[derive(Clone, Copy, Debug)]
struct Setting {
    initial_stack: usize,
    /// A separate guard mapping per window (what kernels without guard
    /// regions need) instead of a guard region.
    guard_mappings: bool,
    coroutines: usize,
    /// 0, or: one coroutine in this many relocates before it parks.
    relocate_every: usize,
}

/// The rows of `cargo bench`, given the `vm.max_map_count` in force.
fn bench_settings(max_map_count: usize) -> Vec<Setting> {
    let plain = |initial_stack, coroutines| Setting {
        initial_stack,
        guard_mappings: false,
        coroutines,
        relocate_every: 0,
    };
    // Two mappings per coroutine: as many as the limit leaves room for.
    let guarded_fit =
        max_map_count.saturating_sub(MAPPINGS_MARGIN) / MAPPINGS_PER_GUARDED_COROUTINE;
    vec![
        plain(16 * KIB, HUNDRED_THOUSAND),
        plain(4 * KIB, HUNDRED_THOUSAND),
        Setting {
            guard_mappings: true,
            ..plain(16 * KIB, HUNDRED_THOUSAND.min(guarded_fit))
        },
        plain(16 * KIB, MILLION),
        Setting {
            relocate_every: RELOCATE_EVERY,
            ..plain(16 * KIB, HUNDRED_THOUSAND)
        },
    ]
}

/// The rows of the smoke run.
fn smoke_settings() -> Vec<Setting> {
    // Unoptimized frames (the smoke run is a debug build) do not fit 4 KiB.
    [false, true]
        .into_iter()
        .map(|guard_mappings| Setting {
            initial_stack: 16 * KIB,
            guard_mappings,
            coroutines: SMOKE_COROUTINES,
            relocate_every: 0,
        })
        .chain([Setting {
            initial_stack: 16 * KIB,
            guard_mappings: false,
            coroutines: SMOKE_COROUTINES,
            relocate_every: RELOCATE_EVERY,
        }])
        .collect()
}

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
    setting: Setting,
    parked: usize,
    before: Memory,
    after: Memory,
    spawn_ns: f64,
}

impl Row {
    fn per(&self, pick: fn(&Memory) -> usize) -> f64 {
        (pick(&self.after) as f64 - pick(&self.before) as f64) / self.setting.coroutines as f64
    }
}

/// In the child: `n` coroutines with `initial_stack`, each makes a foreign
/// call (one in `relocate_every` inside a grown window) and parks;
/// measures before and while they are parked.
fn child(initial_stack: usize, n: usize, relocate_every: usize) {
    let (before, after, parked, spawn_ns) = coffi::Builder::new()
        .initial_stack(initial_stack)
        .run(move || {
            // Reading /proc needs more than a small window: measure in a
            // larger one (mapped here, before the baseline).
            let before = coffi::maybe_grow(256 * KIB, Memory::now);
            let start = Instant::now();
            let mut handles = Vec::with_capacity(n);
            handles.extend((0..n).map(|i| {
                coffi::spawn(move || {
                    let sum = if relocate_every != 0 && i % relocate_every == 0 {
                        coffi::maybe_grow(initial_stack + 32 * KIB, || ffi::add(i as c_int, 1))
                    } else {
                        ffi::add(i as c_int, 1)
                    };
                    coffi::yield_now();
                    sum
                })
            }));
            // Every coroutine now runs once: its foreign call, then it parks
            // in `yield_now` behind this one.
            coffi::yield_now();
            let spawn_ns = start.elapsed().as_nanos() as f64 / n as f64;
            let after = coffi::maybe_grow(256 * KIB, Memory::now);
            let parked = handles.iter().filter(|h| !h.is_finished()).count();
            for (i, handle) in handles.into_iter().enumerate() {
                assert_eq!(handle.join().ok(), Some(i as c_int + 1));
            }
            (before, after, parked, spawn_ns)
        })
        .expect("the coffi runtime starts");
    let (b, a) = (before, after);
    println!(
        "ROW {parked} {} {} {} {} {} {} {} {} {} {} {spawn_ns}",
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
    );
}

/// Parses a child's `ROW` line.
fn parse_row(setting: Setting, output: &str) -> Option<Row> {
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
        setting,
        parked: u(0)?,
        before: memory(1)?,
        after: memory(6)?,
        spawn_ns: f.get(11)?.parse().ok()?,
    })
}

fn read_max_map_count() -> Option<usize> {
    std::fs::read_to_string(MAX_MAP_COUNT)
        .ok()?
        .trim()
        .parse()
        .ok()
}

/// Runs the child for `setting` and returns its row.
fn measure(exe: &std::path::Path, setting: Setting) -> Row {
    let mut command = Command::new(exe);
    command.args([
        "--child",
        &setting.initial_stack.to_string(),
        &setting.coroutines.to_string(),
        &setting.relocate_every.to_string(),
    ]);
    if setting.guard_mappings {
        command.env(GUARD_PAGES_ENV.0, GUARD_PAGES_ENV.1);
    } else {
        command.env_remove(GUARD_PAGES_ENV.0);
    }
    let output = command.output().expect("run the measuring child");
    let stdout = String::from_utf8_lossy(&output.stdout);
    match parse_row(setting, &stdout) {
        Some(row) if output.status.success() => row,
        _ => panic!(
            "the child for {setting:?} failed ({}):\n{stdout}\n{}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        ),
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(at) = args.iter().position(|a| a == "--child") {
        let arg = |i: usize| -> usize {
            args.get(at + i)
                .and_then(|s| s.parse().ok())
                .expect("usage: parked --child INITIAL_STACK COROUTINES RELOCATE_EVERY")
        };
        child(arg(1), arg(2), arg(3));
        return;
    }
    // `cargo bench` passes `--bench`; `cargo test --benches` does not.
    let bench = args.iter().any(|a| a == "--bench");
    let max_map_count = read_max_map_count();
    match max_map_count {
        Some(max) => println!("vm.max_map_count = {max} (left as is)"),
        None => println!("vm.max_map_count: unreadable"),
    }
    let settings = if bench {
        bench_settings(max_map_count.unwrap_or(65_530))
    } else {
        smoke_settings()
    };
    let exe = std::env::current_exe().expect("the bench binary's own path");
    let rows: Vec<Row> = settings.into_iter().map(|s| measure(&exe, s)).collect();

    println!();
    println!(
        "| initial_stack | guard | relocated | live coroutines | resident / coroutine | stack pages (RssShmem) / coroutine | heap (RssAnon) / coroutine | page tables (VmPTE) / coroutine | mappings / 1000 coroutines | spawn + call + park / coroutine |"
    );
    println!("|---|---|---|---|---:|---:|---:|---:|---:|---:|");
    for row in &rows {
        let s = row.setting;
        println!(
            "| {} KiB | {} | {} | {} ({} parked) | {:.2} KiB | {:.2} KiB | {:.2} KiB | {:.2} KiB | {:.1} | {:.0} ns |",
            s.initial_stack / KIB,
            if s.guard_mappings {
                "own mapping (COFFI_GUARD_PAGES=mapping)"
            } else {
                "guard region"
            },
            match s.relocate_every {
                0 => "none".to_string(),
                every => format!("1 in {every} (grown once)"),
            },
            s.coroutines,
            row.parked,
            row.per(|m| m.rss) / KIB as f64,
            row.per(|m| m.shmem) / KIB as f64,
            row.per(|m| m.anon) / KIB as f64,
            row.per(|m| m.page_tables) / KIB as f64,
            row.per(|m| m.mappings) * 1000.0,
            row.spawn_ns,
        );
    }
    for row in rows.iter().filter(|r| r.setting.relocate_every != 0) {
        let s = row.setting;
        let grown = s.coroutines.div_ceil(s.relocate_every);
        let first = rows
            .iter()
            .find(|r| r.setting.relocate_every == 0 && !r.setting.guard_mappings)
            .map_or(0.0, |r| r.per(|m| m.mappings));
        let extra = row.per(|m| m.mappings) - first;
        println!(
            "\nRelocated row: {grown} grown windows cost {:.2} mappings each ({:.0} in all beyond the \
             carved first windows); a million coroutines with one in {} relocated would need \
             vm.max_map_count of about {:.0}.",
            extra * s.coroutines as f64 / grown as f64,
            extra * s.coroutines as f64,
            s.relocate_every,
            row.per(|m| m.mappings) * MILLION as f64 + row.before.mappings as f64,
        );
    }
    for row in rows.iter().filter(|r| r.setting.guard_mappings && bench) {
        if row.setting.coroutines < HUNDRED_THOUSAND {
            println!(
                "\n(the COFFI_GUARD_PAGES=mapping row ran {} coroutines, not {HUNDRED_THOUSAND}: two \
                 mappings each, and vm.max_map_count is {})",
                row.setting.coroutines,
                max_map_count.unwrap_or(0)
            );
        }
    }
    if !bench {
        println!("\n(smoke run outside `cargo bench`)");
    }
}
