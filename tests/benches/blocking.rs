//! What blocking foreign calls cost (`#[foreign_call(blocking)]`: the C runs
//! on a helper thread while the coroutine is parked; `tests/benches/cgo/`
//! measures the same with Go's cgo, `scripts/bench-vs-cgo.sh` puts them side
//! by side):
//!
//! 1. `blocking/sleep1000/*`: 1000 coroutines, each making one blocking call
//!    of `slow_sleep_ms(10)` (`usleep` 10 ms), spawned at once and joined:
//!    the wall time of the whole round. `threads1000` with
//!    `Builder::blocking_threads(1000)` (every sleep has its own helper),
//!    `threads64` with the default pool (64 helpers: the sleeps run in
//!    waves). Both warm: the runtime runs one untimed round first, so the
//!    helpers exist (as Go's threads do after its first round);
//!    `threads1000/cold` times a fresh runtime's first round, the start of
//!    1000 helper threads included.
//! 2. `blocking/roundtrip/add`: one blocking call of `add(1, 2)` (returns at
//!    once) from a coroutine: hand-off to a helper, the C call, the wake-up
//!    of the parked coroutine. The ordinary foreign call of the same C is
//!    `foreign_call/coroutine/add` in `calls.rs`.
//! 3. `blocking/callback_home`: one blocking call of `call_empty_cb()`, whose
//!    C calls the empty `#[export_callback]` `empty_cb` once from the helper:
//!    the callback goes home (runs on the coroutine, on its thread) and back,
//!    then C returns.
//!
//! The coroutine side runs on one thread (the scheduler); the helpers are
//! extra threads. Every sample runs in a runtime of its own (`iter_custom`),
//! warmed by one untimed call so a helper thread exists.

use coffi_tests::ffi;
use criterion::{Criterion, SamplingMode, criterion_group, criterion_main};
use std::hint::black_box;
use std::time::{Duration, Instant};

/// Coroutines per round of the sleep bench.
const SLEEPERS: usize = 1000;
/// What each of them sleeps, in C (ms).
const SLEEP_MS: i32 = 10;

/// One round: `SLEEPERS` coroutines each sleep `SLEEP_MS` in a blocking
/// call; returns when all have been joined.
fn sleep_round() {
    let handles: Vec<_> = (0..SLEEPERS)
        .map(|_| coffi::spawn(|| ffi::slow_sleep_ms(SLEEP_MS)))
        .collect();
    for handle in handles {
        assert_eq!(handle.join().ok(), Some(SLEEP_MS));
    }
}

/// `iters` timed rounds in a runtime with `threads` helpers, after one
/// untimed round (warm) or not (cold: `iters` fresh runtimes).
fn sleep_rounds(threads: usize, warm: bool, iters: u64) -> Duration {
    let builder = || coffi::Builder::new().blocking_threads(threads);
    if warm {
        builder()
            .run(move || {
                sleep_round();
                let start = Instant::now();
                for _ in 0..iters {
                    sleep_round();
                }
                start.elapsed()
            })
            .expect("the coffi runtime starts")
    } else {
        (0..iters)
            .map(|_| {
                builder()
                    .run(|| {
                        let start = Instant::now();
                        sleep_round();
                        start.elapsed()
                    })
                    .expect("the coffi runtime starts")
            })
            .sum()
    }
}

/// Scenario 1: 1000 coroutines x 10 ms of blocking C.
fn sleep1000(c: &mut Criterion) {
    let mut group = c.benchmark_group("blocking");
    group.sampling_mode(SamplingMode::Flat).sample_size(10);
    group.bench_function("sleep1000/threads1000", |b| {
        b.iter_custom(|iters| sleep_rounds(SLEEPERS, true, iters))
    });
    group.bench_function("sleep1000/threads64", |b| {
        b.iter_custom(|iters| sleep_rounds(64, true, iters))
    });
    group.bench_function("sleep1000/threads1000/cold", |b| {
        b.iter_custom(|iters| sleep_rounds(SLEEPERS, false, iters))
    });
    group.finish();
}

/// Times `iters` calls of `call` in a fresh runtime, after one untimed call.
fn timed_calls<R: 'static>(iters: u64, call: fn() -> R) -> Duration {
    coffi::Builder::new()
        .run(move || {
            black_box(call());
            let start = Instant::now();
            for _ in 0..iters {
                black_box(call());
            }
            start.elapsed()
        })
        .expect("the coffi runtime starts")
}

/// Scenarios 2 and 3: the round trip of a blocking call, and of a callback
/// that goes home.
fn round_trips(c: &mut Criterion) {
    let mut group = c.benchmark_group("blocking");
    group.bench_function("roundtrip/add", |b| {
        b.iter_custom(|iters| timed_calls(iters, || ffi::add_blocking(black_box(1), black_box(2))))
    });
    group.bench_function("callback_home", |b| {
        b.iter_custom(|iters| timed_calls(iters, ffi::call_empty_cb_blocking))
    });
    group.finish();
}

criterion_group!(benches, round_trips, sleep1000);
criterion_main!(benches);
