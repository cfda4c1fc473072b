//! Soak: several threads, each running its own coffi runtime with thousands
//! of coroutines in flight for a fixed time, every result checked, while the
//! process's resident memory, mappings and open descriptors are watched for
//! growth.
//!
//! Each runtime keeps `COFFI_SOAK_COROUTINES` worker coroutines alive: its
//! main coroutine joins the oldest, checks what it returned and spawns a new
//! one in its place, until the time is up. A worker does one to seven ops
//! (four on average), most of them foreign calls into the real C of this
//! crate (`c/*.c`), with up to three `yield_now` before each:
//! the seed scenarios (C calls back into Rust code that needs more stack than
//! the 16 KiB window has, so the stack moves while C holds the return slot),
//! Rust -> C -> Rust -> C nesting, `qsort` with a Rust comparator, an errno
//! call, a `maybe_grow`, and child coroutines it spawns and joins, one of
//! which panics in a callback (the join must be `Err` with the callback's
//! message). Every thirteenth worker then panics in a callback itself, which
//! the main coroutine must see as an `Err` join.
//!
//! It reads VmRSS (`/proc/self/status`), its mappings (`/proc/self/maps`
//! lines) and open descriptors (`/proc/self/fd` entries) every second and
//! prints a sample every `COFFI_SOAK_INTERVAL` seconds (10): the mean and
//! peak of the readings in that interval (the load moves from second to
//! second; the mean holds still). It exits non-zero with a message if a
//! result is wrong, a panic is missing or unexpected, or the last sample of
//! any of the three (the mean; for descriptors the most) is more than 10 %
//! plus a small constant above the first sample taken after the warm-up (`COFFI_SOAK_WARMUP`, 20 s: starting
//! 40 000 coroutines and growing their first windows takes some 15 s on two
//! cores), or if a descriptor is still open once the runtimes have ended.
//!
//! ```sh
//! scripts/soak.sh                 # 60 s; scripts/soak.sh 600 for ten minutes
//! cargo run --release -p coffi-tests --example soak -- 30
//! ```
//!
//! Knobs (environment): `COFFI_SOAK_SECS` (60; the first argument wins),
//! `COFFI_SOAK_THREADS` (4), `COFFI_SOAK_COROUTINES` (10 000 per runtime),
//! `COFFI_SOAK_INTERVAL` (10 s), `COFFI_SOAK_WARMUP` (20 s),
//! `COFFI_SOAK_STRICT=1` (strict mode).

use coffi_test_support::{mappings, open_fds, panic_message, rss_kib};
use coffi_tests::{ffi, observe};
use std::collections::VecDeque;
use std::ffi::c_int;
use std::process::ExitCode;
use std::str::FromStr;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Set when the time is up (or a check failed): main coroutines stop
/// replacing the workers they join.
static STOP: AtomicBool = AtomicBool::new(false);
/// Workers joined and checked, over all runtimes.
static WORKERS_DONE: AtomicU64 = AtomicU64::new(0);
/// Panics of `panicky_cb` that reached the panic hook.
static HOOK_PANICS: AtomicU64 = AtomicU64::new(0);
/// The first few failures, for the report.
static FAILURES: Mutex<Vec<String>> = Mutex::new(Vec::new());

/// Growth allowed between the first sample after warm-up and the last one:
/// 10 % plus these constants.
const GROWTH_FRACTION: f64 = 0.10;
const RSS_SLACK_KIB: u64 = 16 * 1024;
const MAPPINGS_SLACK: u64 = 128;
const FDS_SLACK: u64 = 4;

/// The message `panicky_cb` panics with.
const PANIC_PREFIX: &str = "panicky_cb refused ";

struct Config {
    secs: u64,
    threads: usize,
    coroutines: usize,
    interval: u64,
    warmup: u64,
    strict: bool,
}

fn setting<T: FromStr>(name: &str, default: T) -> Result<T, String> {
    match std::env::var(name) {
        Ok(text) => text
            .trim()
            .parse()
            .map_err(|_| format!("{name}={text:?} is not a valid number")),
        Err(_) => Ok(default),
    }
}

impl Config {
    fn from_env() -> Result<Config, String> {
        let mut secs = setting("COFFI_SOAK_SECS", 60)?;
        if let Some(arg) = std::env::args().nth(1) {
            secs = arg
                .parse()
                .map_err(|_| format!("usage: soak [SECS]; {arg:?} is not a number of seconds"))?;
        }
        let interval: u64 = setting("COFFI_SOAK_INTERVAL", 10)?;
        let config = Config {
            secs,
            threads: setting("COFFI_SOAK_THREADS", 4)?,
            coroutines: setting("COFFI_SOAK_COROUTINES", 10_000)?,
            interval,
            warmup: setting("COFFI_SOAK_WARMUP", 20)?,
            strict: setting("COFFI_SOAK_STRICT", 0u8)? != 0,
        };
        if config.secs == 0 || config.interval == 0 || config.threads == 0 || config.coroutines == 0
        {
            return Err("seconds, interval, threads and coroutines must be at least 1".into());
        }
        Ok(config)
    }
}

/// Records a failure and stops every runtime.
fn fail(message: String) {
    STOP.store(true, Relaxed);
    let mut failures = FAILURES.lock().unwrap_or_else(|p| p.into_inner());
    if failures.len() < 20 {
        failures.push(message);
    }
}

/// What `nest_c(level)` returns, computed in plain Rust.
fn nest_expected(level: i32) -> i32 {
    let inner = if level == 0 {
        100 * 101 / 2
    } else {
        nest_expected(level - 1) + 100
    };
    inner * 2 + level
}

/// The kinds of work a worker does; counted per kind in the report.
#[derive(Clone, Copy)]
enum Op {
    /// `returnAfterGrow`: C -> 256 KiB callback (the stack moves) -> 123456.
    Seed,
    /// `returnAfterGrowFromGo`: the callback's own value, 8256.
    SeedFromCallback,
    /// `nest_c(2)`: Rust -> C -> Rust -> C -> Rust, moving inside.
    Nest,
    /// `qsort` of 32 ints with the Rust comparator.
    Qsort,
    /// `fails_with_erange`: value and errno.
    Errno,
    /// `maybe_grow` around a deep Rust recursion.
    Grow,
    /// A child coroutine that yields and calls `add_ints`, joined.
    Child,
    /// A child coroutine whose callback panics: its join must be `Err`.
    PanickingChild,
    /// `call_panicky` with a value the callback accepts.
    QuietCallback,
}

const OPS: [Op; 9] = [
    Op::Seed,
    Op::SeedFromCallback,
    Op::Nest,
    Op::Qsort,
    Op::Errno,
    Op::Grow,
    Op::Child,
    Op::PanickingChild,
    Op::QuietCallback,
];
const OP_NAMES: [&str; 9] = [
    "seed",
    "seed_from_callback",
    "nest",
    "qsort",
    "errno",
    "maybe_grow",
    "child_join",
    "panicking_child_join",
    "quiet_callback",
];
/// Most ops a worker does.
const MAX_OPS_PER_WORKER: u64 = 7;

/// Does `op` with the worker's number `x`; `Err` says what was wrong.
fn do_op(op: Op, x: c_int) -> Result<(), String> {
    let check = |what: &str, got: i64, want: i64| {
        if got == want {
            Ok(())
        } else {
            Err(format!("{what}: got {got}, want {want}"))
        }
    };
    match op {
        Op::Seed => check("returnAfterGrow()", ffi::returnAfterGrow().into(), 123_456),
        Op::SeedFromCallback => check(
            "returnAfterGrowFromGo()",
            ffi::returnAfterGrowFromGo().into(),
            8256,
        ),
        Op::Nest => {
            let got = ffi::nest_c(2);
            let levels = observe::NEST_LEVELS.take();
            check("nest_c(2)", got.into(), nest_expected(2).into())?;
            let want = vec![(1, nest_expected(0)), (2, nest_expected(1))];
            if levels != want {
                return Err(format!("nest_c(2) levels: got {levels:?}, want {want:?}"));
            }
            Ok(())
        }
        Op::Qsort => {
            let mut v: Vec<c_int> = (0..32).map(|k| ((k * 37 + x) % 101) - 50).collect();
            let mut want = v.clone();
            want.sort_unstable();
            ffi::qsort_ints(&mut v);
            if v == want {
                Ok(())
            } else {
                Err(format!("qsort: got {v:?}, want {want:?}"))
            }
        }
        Op::Errno => {
            let (value, errno) = ffi::fails_with_erange(x);
            check("fails_with_erange value", value.into(), (2 * x).into())?;
            check(
                "fails_with_erange errno",
                errno.0.into(),
                libc::ERANGE.into(),
            )
        }
        Op::Grow => {
            let got = coffi::maybe_grow(128 * 1024, || ffi::grow_sum(100));
            check("maybe_grow(grow_sum(100))", got.into(), 5050)
        }
        Op::Child => {
            let child = coffi::spawn(move || {
                coffi::yield_now();
                ffi::add_ints(x, 7)
            });
            match child.join() {
                Ok(got) => check("child add_ints(x, 7)", got.into(), (x + 7).into()),
                Err(payload) => Err(format!("child panicked: {}", panic_message(&*payload))),
            }
        }
        Op::PanickingChild => {
            let child = coffi::spawn(move || ffi::call_panicky(x + 1));
            match child.join() {
                Ok(got) => Err(format!(
                    "panicking child returned {got} instead of panicking"
                )),
                Err(payload) => {
                    let got = panic_message(&*payload);
                    let want = format!("{PANIC_PREFIX}{}", x + 1);
                    if got == want {
                        Ok(())
                    } else {
                        Err(format!("panicking child: got {got:?}, want {want:?}"))
                    }
                }
            }
        }
        Op::QuietCallback => check(
            "call_panicky(-x)",
            ffi::call_panicky(-x).into(),
            (1 - x).into(),
        ),
    }
}

/// A well-mixed hash of a worker's number (splitmix64's finalizer): the
/// workers' plans vary, so their lifetimes differ and the population in
/// flight stays mixed instead of moving in waves of one generation.
fn mix(id: u64) -> u64 {
    let mut z = id.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// How many ops worker `id` does: 1 to 7.
fn op_count(id: u64) -> u64 {
    1 + mix(id) % MAX_OPS_PER_WORKER
}

/// Which op worker `id` does at step `k`.
fn op_index(id: u64, k: u64) -> usize {
    ((mix(id) >> (8 + 5 * k)) % OPS.len() as u64) as usize
}

/// How many times worker `id` yields before step `k`: 0 to 3.
fn yields_before(id: u64, k: u64) -> u64 {
    (mix(id) >> (48 + 2 * k)) & 3
}

/// True for the workers that end by panicking in a callback.
fn panics_at_end(id: u64) -> bool {
    id % 13 == 5
}

/// A worker coroutine: one to seven ops with yields between them, then
/// (for some) a panic raised in a callback.
fn worker(id: u64) -> Result<(), String> {
    let x = (id % 100_000) as c_int;
    for k in 0..op_count(id) {
        for _ in 0..yields_before(id, k) {
            coffi::yield_now();
        }
        let i = op_index(id, k);
        do_op(OPS[i], x).map_err(|e| format!("worker {id}, {}: {e}", OP_NAMES[i]))?;
    }
    if panics_at_end(id) {
        let got = ffi::call_panicky(x + 1);
        return Err(format!(
            "worker {id}: call_panicky({}) returned {got}",
            x + 1
        ));
    }
    Ok(())
}

/// What one runtime did.
#[derive(Default)]
struct Tally {
    workers: u64,
    ops: [u64; 9],
    /// Panics observed: worker joins that were `Err`, and panicking children.
    panics: u64,
    stats: Option<coffi::Stats>,
}

/// Checks what joining worker `id` gave.
fn check_worker(id: u64, joined: std::thread::Result<Result<(), String>>, tally: &mut Tally) {
    tally.workers += 1;
    WORKERS_DONE.fetch_add(1, Relaxed);
    for k in 0..op_count(id) {
        let i = op_index(id, k);
        tally.ops[i] += 1;
        if matches!(OPS[i], Op::PanickingChild) {
            tally.panics += 1;
        }
    }
    match (joined, panics_at_end(id)) {
        (Ok(Ok(())), false) => {}
        (Ok(Err(message)), _) => fail(message),
        (Ok(Ok(())), true) => fail(format!("worker {id} should have panicked but returned")),
        (Err(payload), true) => {
            tally.panics += 1;
            let got = panic_message(&*payload);
            let want = format!("{PANIC_PREFIX}{}", (id % 100_000) + 1);
            if got != want {
                fail(format!("worker {id} panicked with {got:?}, want {want:?}"));
            }
        }
        (Err(payload), false) => fail(format!(
            "worker {id} panicked unexpectedly: {}",
            panic_message(&*payload)
        )),
    }
}

/// One runtime: keeps `n` workers in flight until `STOP`, then drains.
fn runtime(index: usize, config: &Config) -> Result<Tally, String> {
    let n = config.coroutines;
    coffi::Builder::new()
        .initial_stack(16 * 1024)
        .strict(config.strict)
        .run(move || {
            let mut tally = Tally::default();
            let mut next_id = (index as u64) << 40;
            let mut in_flight = VecDeque::with_capacity(n);
            let mut spawn_one = |in_flight: &mut VecDeque<_>| {
                let id = next_id;
                next_id += 1;
                in_flight.push_back((id, coffi::spawn(move || worker(id))));
            };
            for _ in 0..n {
                spawn_one(&mut in_flight);
            }
            while let Some((id, handle)) = in_flight.pop_front() {
                check_worker(id, handle.join(), &mut tally);
                if !STOP.load(Relaxed) {
                    spawn_one(&mut in_flight);
                }
            }
            tally.stats = Some(coffi::stats());
            tally
        })
        .map_err(|e| format!("runtime {index} did not start: {e}"))
}

/// One reading of the process.
#[derive(Clone, Copy)]
struct Reading {
    rss_kib: u64,
    mappings: u64,
    fds: u64,
}

fn read() -> Reading {
    Reading {
        rss_kib: rss_kib(),
        mappings: mappings() as u64,
        fds: open_fds() as u64,
    }
}

/// What one interval shows: the mean of the readings taken every second in
/// it (the load is uneven from one second to the next; the mean is steady),
/// their peaks, and the most descriptors open.
#[derive(Clone, Copy)]
struct Sample {
    at: f64,
    rss_kib: u64,
    rss_peak_kib: u64,
    mappings: u64,
    mappings_peak: u64,
    fds: u64,
    workers: u64,
}

impl Sample {
    fn of(at: f64, readings: &[Reading]) -> Sample {
        let n = readings.len().max(1) as u64;
        let mean = |f: fn(&Reading) -> u64| readings.iter().map(f).sum::<u64>() / n;
        let peak = |f: fn(&Reading) -> u64| readings.iter().map(f).max().unwrap_or(0);
        Sample {
            at,
            rss_kib: mean(|r| r.rss_kib),
            rss_peak_kib: peak(|r| r.rss_kib),
            mappings: mean(|r| r.mappings),
            mappings_peak: peak(|r| r.mappings),
            fds: peak(|r| r.fds),
            workers: WORKERS_DONE.load(Relaxed),
        }
    }
}

const TABLE_HEAD: &str = "| t (s) | VmRSS MiB, mean | VmRSS MiB, peak | mappings, mean | mappings, peak | open fds, most | workers checked |
|---:|---:|---:|---:|---:|---:|---:|";

fn print_row(label: &str, s: &Sample) {
    println!(
        "| {label:>6} | {:>9.1} | {:>9.1} | {:>8} | {:>8} | {:>4} | {:>9} |",
        s.rss_kib as f64 / 1024.0,
        s.rss_peak_kib as f64 / 1024.0,
        s.mappings,
        s.mappings_peak,
        s.fds,
        s.workers
    );
}

/// `Err` naming the quantity when `last` is more than 10 % + `slack` above
/// `first`.
fn grew(what: &str, first: u64, last: u64, slack: u64) -> Option<String> {
    let limit = (first as f64 * (1.0 + GROWTH_FRACTION)) as u64 + slack;
    (last > limit).then(|| {
        format!("{what} kept growing: {first} after warm-up, {last} at the end (limit {limit})")
    })
}

fn main() -> ExitCode {
    let config = match Config::from_env() {
        Ok(config) => config,
        Err(e) => {
            eprintln!("coffi soak: {e}");
            return ExitCode::from(2);
        }
    };
    // The expected panics would print thousands of messages: count them
    // instead, and leave every other panic to the default hook.
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if panic_message(info.payload()).starts_with(PANIC_PREFIX) {
            HOOK_PANICS.fetch_add(1, Relaxed);
        } else {
            default_hook(info);
        }
    }));

    println!(
        "coffi soak: {} threads x {} coroutines in flight (16 KiB first window{}), {} s, sample every {} s, warm-up {} s",
        config.threads,
        config.coroutines,
        if config.strict { ", strict mode" } else { "" },
        config.secs,
        config.interval,
        config.warmup
    );
    println!();
    println!("{TABLE_HEAD}");
    let started = Instant::now();
    let before = Sample::of(0.0, &[read()]);
    print_row("start", &before);

    let config = std::sync::Arc::new(config);
    let threads: Vec<JoinHandle<Result<Tally, String>>> = (0..config.threads)
        .map(|index| {
            let config = config.clone();
            std::thread::Builder::new()
                .name(format!("soak-{index}"))
                .spawn(move || runtime(index, &config))
                .expect("start a soak thread")
        })
        .collect();

    // A reading every second, a sample at every interval, the last one at
    // the end of the time, while the runtimes still run at full load.
    let mut samples = Vec::new();
    let mut readings = Vec::new();
    let mut mark = 0;
    while mark < config.secs && !STOP.load(Relaxed) {
        mark = (mark + config.interval).min(config.secs);
        let due = started + Duration::from_secs(mark);
        loop {
            let now = Instant::now();
            if now >= due || STOP.load(Relaxed) {
                break;
            }
            std::thread::sleep((due - now).min(Duration::from_secs(1)));
            readings.push(read());
        }
        let s = Sample::of(started.elapsed().as_secs_f64(), &readings);
        readings.clear();
        print_row(&format!("{:.0}", s.at), &s);
        samples.push(s);
    }
    STOP.store(true, Relaxed);

    let mut tally = Tally::default();
    let mut stats = Vec::new();
    for (index, thread) in threads.into_iter().enumerate() {
        match thread.join() {
            Ok(Ok(t)) => {
                tally.workers += t.workers;
                tally.panics += t.panics;
                for (sum, n) in tally.ops.iter_mut().zip(t.ops) {
                    *sum += n;
                }
                stats.extend(t.stats);
            }
            Ok(Err(e)) => fail(e),
            Err(payload) => fail(format!(
                "soak thread {index} panicked: {}",
                panic_message(&*payload)
            )),
        }
    }
    let elapsed = started.elapsed().as_secs_f64();
    let after = Sample::of(elapsed, &[read()]);
    print_row("joined", &after);

    println!();
    println!(
        "workers checked: {} ({:.0}/s), ops: {}",
        tally.workers,
        tally.workers as f64 / elapsed,
        OP_NAMES
            .iter()
            .zip(tally.ops)
            .map(|(name, n)| format!("{name} {n}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let sum = |f: fn(&coffi::Stats) -> u64| stats.iter().map(f).sum::<u64>();
    println!(
        "runtimes: spawned {}, foreign calls {}, callbacks {}, relocations {}, largest window {} KiB",
        sum(|s| s.spawned),
        sum(|s| s.foreign_calls),
        sum(|s| s.callbacks),
        sum(|s| s.relocations),
        stats.iter().map(|s| s.max_window).max().unwrap_or(0) / 1024
    );
    let hook_panics = HOOK_PANICS.load(Relaxed);
    println!(
        "panics raised in callbacks: {hook_panics}, observed through join: {}",
        tally.panics
    );

    if after.fds > before.fds {
        fail(format!(
            "{} descriptors open after the runtimes ended, {} before they started",
            after.fds, before.fds
        ));
    }
    if hook_panics != tally.panics {
        fail(format!(
            "{hook_panics} callback panics were raised but {} were observed through join",
            tally.panics
        ));
    }
    if tally.workers == 0 {
        fail("no worker finished".into());
    }
    let first = samples.iter().find(|s| s.at + 0.5 >= config.warmup as f64);
    match (first, samples.last()) {
        (Some(first), Some(last)) if last.at - first.at >= config.interval as f64 - 0.5 => {
            let checks = [
                grew(
                    "VmRSS (KiB, mean)",
                    first.rss_kib,
                    last.rss_kib,
                    RSS_SLACK_KIB,
                ),
                grew(
                    "mappings (mean)",
                    first.mappings,
                    last.mappings,
                    MAPPINGS_SLACK,
                ),
                grew("open descriptors", first.fds, last.fds, FDS_SLACK),
            ];
            for message in checks.into_iter().flatten() {
                fail(message);
            }
            println!(
                "growth check: t = {:.0} s -> {:.0} s, limit +{:.0} % + ({} MiB, {MAPPINGS_SLACK} mappings, {FDS_SLACK} fds)",
                first.at,
                last.at,
                GROWTH_FRACTION * 100.0,
                RSS_SLACK_KIB / 1024
            );
        }
        _ => println!(
            "growth check: skipped (needs at least one interval of samples after the {} s warm-up)",
            config.warmup
        ),
    }

    let failures = FAILURES.lock().unwrap_or_else(|p| p.into_inner());
    if failures.is_empty() {
        println!("coffi soak: OK");
        ExitCode::SUCCESS
    } else {
        for failure in failures.iter() {
            eprintln!("coffi soak: FAILED: {failure}");
        }
        ExitCode::FAILURE
    }
}
