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
//! The compacted rows park on a future (`coffi::wait`) in a runtime with
//! `Builder::compact_idle_stacks(10 ms)`, wait until every stack was
//! compacted, measure, then wake them all: the resume column is the time
//! from the wake to every coroutine finished, per coroutine (each restores
//! its stack first); a row parked the same way without compaction gives the
//! baseline.
//!
//! Then, in this process, what the kernel alone takes for the same page
//! work (`parked/kernel_floor.rs`; `-- --kernel-floor` runs only that): the
//! floor of the spawn and resume columns. And what compaction costs
//! coroutines woken round robin (`parked/round_robin.rs`; `-- --round-robin`
//! runs only that).
//!
//! `cargo bench -p coffi-benches --bench parked`. Without `--bench` (as built
//! and run by `cargo test --benches`) it makes a 1000-coroutine smoke run of
//! the 16 KiB rows.

#[path = "parked/kernel_floor.rs"]
mod kernel_floor;
#[path = "parked/round_robin.rs"]
mod round_robin;

use coffi_test_support::Gate;
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
/// The idle time after which the compacted rows compact a parked stack.
const COMPACT_AFTER_MS: u64 = 10;
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
    /// Park on a future (`coffi::wait`) instead of in `yield_now`.
    park_on_future: bool,
    /// Compact stacks parked this many milliseconds (`None`: off).
    compact_after_ms: Option<u64>,
}

/// The rows of `cargo bench`, given the `vm.max_map_count` in force.
fn bench_settings(max_map_count: usize) -> Vec<Setting> {
    let plain = |initial_stack, coroutines| Setting {
        initial_stack,
        guard_mappings: false,
        coroutines,
        relocate_every: 0,
        park_on_future: false,
        compact_after_ms: None,
    };
    let on_future = |coroutines, compact_after_ms| Setting {
        park_on_future: true,
        compact_after_ms,
        ..plain(16 * KIB, coroutines)
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
        on_future(HUNDRED_THOUSAND, None),
        on_future(HUNDRED_THOUSAND, Some(COMPACT_AFTER_MS)),
        on_future(MILLION, Some(COMPACT_AFTER_MS)),
    ]
}

/// The rows of the smoke run.
fn smoke_settings() -> Vec<Setting> {
    // Unoptimized frames (the smoke run is a debug build) do not fit 4 KiB.
    let plain = Setting {
        initial_stack: 16 * KIB,
        guard_mappings: false,
        coroutines: SMOKE_COROUTINES,
        relocate_every: 0,
        park_on_future: false,
        compact_after_ms: None,
    };
    vec![
        plain,
        Setting {
            guard_mappings: true,
            ..plain
        },
        Setting {
            relocate_every: RELOCATE_EVERY,
            ..plain
        },
        Setting {
            park_on_future: true,
            compact_after_ms: Some(COMPACT_AFTER_MS),
            ..plain
        },
    ]
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
    compacted: u64,
    /// From the end of the spawn phase to every stack compacted, per
    /// coroutine (0 without compaction).
    compact_ns: f64,
    /// From the wake to every coroutine finished, per coroutine (0 when
    /// the coroutines parked in `yield_now`).
    resume_ns: f64,
}

impl Row {
    fn per(&self, pick: fn(&Memory) -> usize) -> f64 {
        (pick(&self.after) as f64 - pick(&self.before) as f64) / self.setting.coroutines as f64
    }
}

/// In the child: `setting.coroutines` coroutines, each makes a foreign
/// call (one in `relocate_every` inside a grown window) and parks;
/// measures before and while they are parked (and compacted, if so set).
fn child(setting: Setting) {
    let Setting {
        initial_stack,
        coroutines: n,
        relocate_every,
        park_on_future,
        compact_after_ms,
        ..
    } = setting;
    let row = coffi::Builder::new()
        .initial_stack(initial_stack)
        .compact_idle_stacks(compact_after_ms.map(std::time::Duration::from_millis))
        .run(move || {
            // Reading /proc needs more than a small window: measure in a
            // larger one (mapped here, before the baseline).
            let before = coffi::maybe_grow(256 * KIB, Memory::now);
            let gate = Gate::default();
            let start = Instant::now();
            let mut handles = Vec::with_capacity(n);
            handles.extend((0..n).map(|i| {
                let gate = gate.clone();
                coffi::spawn(move || {
                    let sum = if relocate_every != 0 && i % relocate_every == 0 {
                        coffi::maybe_grow(initial_stack + 32 * KIB, || ffi::add(i as c_int, 1))
                    } else {
                        ffi::add(i as c_int, 1)
                    };
                    if park_on_future {
                        coffi::wait(gate.opened());
                    } else {
                        coffi::yield_now();
                    }
                    sum
                })
            }));
            // Every coroutine now runs once: its foreign call, then it parks
            // behind this one.
            coffi::yield_now();
            let spawn_ns = start.elapsed().as_nanos() as f64 / n as f64;
            let compact_start = Instant::now();
            if compact_after_ms.is_some() {
                // Parks this coroutine too (in a larger window: starting the
                // reactor's thread takes room): the scheduler compacts the
                // others while it sleeps.
                coffi::maybe_grow(256 * KIB, || {
                    while (coffi::stats().compactions as usize) < n {
                        coffi::sleep(std::time::Duration::from_millis(20));
                    }
                });
            }
            let compact_ns = compact_start.elapsed().as_nanos() as f64 / n as f64;
            let after = coffi::maybe_grow(256 * KIB, Memory::now);
            let compacted = coffi::stats().compactions;
            let parked = handles.iter().filter(|h| !h.is_finished()).count();
            let start = Instant::now();
            gate.open();
            for (i, handle) in handles.into_iter().enumerate() {
                assert_eq!(handle.join().ok(), Some(i as c_int + 1));
            }
            let resume_ns = if park_on_future {
                start.elapsed().as_nanos() as f64 / n as f64
            } else {
                0.0
            };
            Row {
                setting,
                parked,
                before,
                after,
                spawn_ns,
                compacted,
                compact_ns: if compact_after_ms.is_some() {
                    compact_ns
                } else {
                    0.0
                },
                resume_ns,
            }
        })
        .expect("the coffi runtime starts");
    let (b, a) = (row.before, row.after);
    println!(
        "ROW {} {} {} {} {} {} {} {} {} {} {} {} {} {} {}",
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
        row.spawn_ns,
        row.compacted,
        row.resume_ns,
        row.compact_ns,
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
        compacted: f.get(12)?.parse().ok()?,
        resume_ns: f.get(13)?.parse().ok()?,
        compact_ns: f.get(14)?.parse().ok()?,
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
        &u8::from(setting.park_on_future).to_string(),
        &setting
            .compact_after_ms
            .map_or("-".to_string(), |ms| ms.to_string()),
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
        const USAGE: &str =
            "usage: parked --child INITIAL_STACK COROUTINES RELOCATE_EVERY ON_FUTURE COMPACT_MS|-";
        let arg =
            |i: usize| -> usize { args.get(at + i).and_then(|s| s.parse().ok()).expect(USAGE) };
        child(Setting {
            initial_stack: arg(1),
            guard_mappings: false,
            coroutines: arg(2),
            relocate_every: arg(3),
            park_on_future: arg(4) != 0,
            compact_after_ms: args.get(at + 5).expect(USAGE).parse().ok(),
        });
        return;
    }
    if args.iter().any(|a| a == "--round-robin") {
        round_robin::report(10_000, 100);
        return;
    }
    if args.iter().any(|a| a == "--kernel-floor") {
        kernel_floor::report(HUNDRED_THOUSAND);
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
        "| initial_stack | guard | relocated | live coroutines | resident / coroutine | stack pages (RssShmem) / coroutine | heap (RssAnon) / coroutine | page tables (VmPTE) / coroutine | mappings / 1000 coroutines | spawn + call + park / coroutine | parked on | compacted | idle + compaction / coroutine | wake + resume + finish / coroutine |"
    );
    println!("|---|---|---|---|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|");
    for row in &rows {
        let s = row.setting;
        println!(
            "| {} KiB | {} | {} | {} ({} parked) | {:.2} KiB | {:.2} KiB | {:.2} KiB | {:.2} KiB | {:.1} | {:.0} ns | {} | {} | {} | {} |",
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
            match (s.park_on_future, s.compact_after_ms) {
                (false, _) => "yield_now".to_string(),
                (true, None) => "a future".to_string(),
                (true, Some(ms)) => format!("a future, compacted after {ms} ms"),
            },
            row.compacted,
            if s.compact_after_ms.is_some() {
                format!("{:.0} ns", row.compact_ns)
            } else {
                "-".to_string()
            },
            if s.park_on_future {
                format!("{:.0} ns", row.resume_ns)
            } else {
                "-".to_string()
            },
        );
    }
    for row in rows.iter().filter(|r| r.setting.relocate_every != 0) {
        let s = row.setting;
        let grown = s.coroutines.div_ceil(s.relocate_every);
        let first = rows
            .iter()
            .find(|r| {
                r.setting.relocate_every == 0
                    && !r.setting.guard_mappings
                    && r.setting.compact_after_ms.is_none()
            })
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
    if bench {
        kernel_floor::report(HUNDRED_THOUSAND);
        round_robin::report(10_000, 100);
    } else {
        kernel_floor::report(SMOKE_COROUTINES);
        round_robin::report(100, 3);
        println!("\n(smoke run outside `cargo bench`)");
    }
}
