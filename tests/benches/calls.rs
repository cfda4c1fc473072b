//! What a call costs, from the floor up (issue #5; `tests/benches/cgo/`
//! measures the same scenarios with Go's cgo, `scripts/bench-vs-cgo.sh` puts
//! them side by side):
//!
//! 1. `floor/*`: a direct `extern "C"` call of `empty()` and `add(a, b)` from
//!    the bench thread, no coffi involved;
//! 2. `raw_switch/*`: the same C call wrapped in corosensei's
//!    `Yielder::on_parent_stack`, from a hand-written coroutine: the stack
//!    switch alone;
//!
//!    2b. `bare_switch/*` (x86_64): the same C call behind a hand-written
//!    naked stack switch and a shim of coffi's shape, without any of
//!    `foreign_call`'s bookkeeping: the floor of a stack-switching call
//!    (`calls/bare_switch.rs`);
//! 3. `foreign_call/{coroutine,thread}/*`: the `#[foreign_call]` wrappers
//!    `ffi::empty()` and `ffi::add(..)` from a coroutine (the C runs on the
//!    scheduler stack) and from a plain thread (the shim runs in place);
//! 4. `callback/coroutine`: Rust → C → empty `#[export_callback]` → back
//!    (`ffi::call_empty_cb()`) from a coroutine;
//! 5. `seed/spawn_grow_join`: spawn a coroutine with a 16 KiB stack that calls
//!    C, which calls back into a callback needing 256 KiB (so the stack
//!    moves), then join it (`ffi::returnAfterGrow()`);
//! 6. `relocation/{64KiB,1MiB,8MiB}`: one `coffi::maybe_grow` that relocates a
//!    coroutine with that much stack in use, asking for 2 MiB of room (only
//!    the `maybe_grow` is timed, one fresh coroutine per iteration; a new
//!    window is mapped each time); a mapping, not a copy, so the cost must not
//!    grow with the used size. `relocation/kept/64KiB` asks for 64 KiB, which
//!    the window its pooled stack kept already has: nothing is mapped;
//! 7. `spawn/call_join`: `coffi::spawn(|| ffi::add(1, 2)).join()`.
//!
//! Coroutine scenarios time their whole loop inside one coroutine of one
//! runtime per sample (`iter_custom`), so starting the runtime is not timed.

#[cfg(target_arch = "x86_64")]
#[path = "calls/bare_switch.rs"]
mod bare_switch;

use coffi_tests::ffi;
use core::ffi::c_int;
use corosensei::{Coroutine, CoroutineResult};
use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;
use std::mem::MaybeUninit;
use std::time::{Duration, Instant};

// The plain C functions of tests/c/bench.c, linked into the coffi-tests
// library, declared without coffi: the floor.
unsafe extern "C" {
    #[link_name = "empty"]
    fn c_empty();
    #[link_name = "add"]
    fn c_add(a: c_int, b: c_int) -> c_int;
}

/// Runs `body` as the main coroutine of a runtime built by `builder` and
/// returns the time it measured.
fn timed_in_runtime(
    builder: coffi::Builder,
    body: impl FnOnce() -> Duration + 'static,
) -> Duration {
    builder.run(body).expect("the coffi runtime starts")
}

/// Times `iters` calls of `call` on the current thread or coroutine.
#[inline(always)]
fn time_loop<R>(iters: u64, mut call: impl FnMut() -> R) -> Duration {
    let start = Instant::now();
    for _ in 0..iters {
        black_box(call());
    }
    start.elapsed()
}

/// Scenario 1: direct C calls from the bench thread.
fn floor(c: &mut Criterion) {
    let mut group = c.benchmark_group("floor");
    group.bench_function("empty", |b| {
        b.iter_custom(|iters| {
            time_loop(iters, || {
                // SAFETY: `empty` takes nothing and does nothing.
                unsafe { c_empty() }
            })
        })
    });
    group.bench_function("add", |b| {
        b.iter_custom(|iters| {
            time_loop(iters, || {
                // SAFETY: `add` only adds its arguments.
                unsafe { c_add(black_box(1), black_box(2)) }
            })
        })
    });
    group.finish();
}

/// One C call, run on the parent stack by the raw-switch coroutine.
type CCall = fn() -> c_int;

/// A hand-written corosensei coroutine whose body makes `n` calls of
/// `call` through `on_parent_stack` per resume with input `n`.
fn switching_coroutine(call: CCall) -> Coroutine<u64, (), ()> {
    Coroutine::new(move |yielder, mut n: u64| {
        loop {
            for _ in 0..n {
                black_box(yielder.on_parent_stack(call));
            }
            n = yielder.suspend(());
        }
    })
}

/// Scenario 2: the bare stack switch of corosensei around the C call.
fn raw_switch(c: &mut Criterion) {
    let mut group = c.benchmark_group("raw_switch");
    let calls: [(&str, CCall); 2] = [
        ("empty", || {
            // SAFETY: `empty` takes nothing and does nothing.
            unsafe { c_empty() };
            0
        }),
        ("add", || {
            // SAFETY: `add` only adds its arguments.
            unsafe { c_add(black_box(1), black_box(2)) }
        }),
    ];
    for (name, call) in calls {
        let mut coroutine = switching_coroutine(call);
        group.bench_function(name, |b| {
            b.iter_custom(|iters| {
                let start = Instant::now();
                let suspended = coroutine.resume(iters);
                let elapsed = start.elapsed();
                assert!(matches!(suspended, CoroutineResult::Yield(())));
                elapsed
            })
        });
        // Dropping the suspended coroutine unwinds its stack.
        drop(coroutine);
    }
    group.finish();
}

/// Scenario 3: `#[foreign_call]` wrappers from a coroutine and from a plain
/// thread.
fn foreign_call(c: &mut Criterion) {
    let mut group = c.benchmark_group("foreign_call");
    group.bench_function("coroutine/empty", |b| {
        b.iter_custom(|iters| {
            timed_in_runtime(coffi::Builder::new(), move || time_loop(iters, ffi::empty))
        })
    });
    group.bench_function("coroutine/add", |b| {
        b.iter_custom(|iters| {
            timed_in_runtime(coffi::Builder::new(), move || {
                time_loop(iters, || ffi::add(black_box(1), black_box(2)))
            })
        })
    });
    group.bench_function("thread/empty", |b| {
        b.iter_custom(|iters| time_loop(iters, ffi::empty))
    });
    group.bench_function("thread/add", |b| {
        b.iter_custom(|iters| time_loop(iters, || ffi::add(black_box(1), black_box(2))))
    });
    group.finish();
}

/// Scenario 4: Rust → C → empty callback → back, from a coroutine.
fn callback(c: &mut Criterion) {
    let mut group = c.benchmark_group("callback");
    group.bench_function("coroutine", |b| {
        b.iter_custom(|iters| {
            timed_in_runtime(coffi::Builder::new(), move || {
                time_loop(iters, ffi::call_empty_cb)
            })
        })
    });
    group.finish();
}

/// Scenario 5: the seed scenario, a fresh 16 KiB coroutine per op whose
/// callback moves its stack.
fn seed(c: &mut Criterion) {
    let mut group = c.benchmark_group("seed");
    group.bench_function("spawn_grow_join", |b| {
        b.iter_custom(|iters| {
            let builder = coffi::Builder::new().initial_stack(16 * 1024);
            timed_in_runtime(builder, move || {
                let elapsed = time_loop(iters, || {
                    let value = coffi::spawn(ffi::returnAfterGrow).join();
                    assert_eq!(value.ok(), Some(123_456));
                });
                assert!(coffi::stats().relocations >= iters);
                elapsed
            })
        })
    });
    group.finish();
}

const KIB: usize = 1024;
const PAGE: usize = 4 * KIB;

/// Room every relocation asks for: more than a pooled stack keeps
/// (1 MiB), so each one maps a new window.
const MAPPED_ROOM: usize = 2 * KIB * KIB;

/// Uses `N` bytes of stack (one write per page), then times one
/// `maybe_grow(room)` that must relocate: it asks for more room than the
/// window has.
#[inline(never)]
fn relocate_with_used<const N: usize>(room: usize) -> Duration {
    let mut used = MaybeUninit::<[u8; N]>::uninit();
    let base = used.as_mut_ptr().cast::<u8>();
    for offset in (0..N).step_by(PAGE) {
        // SAFETY: `offset < N`: inside `used`, which is ours.
        unsafe { black_box(base.add(offset)).write(1) };
    }
    black_box(&mut used);
    let start = Instant::now();
    let value = coffi::maybe_grow(room, || black_box(0u8));
    let elapsed = start.elapsed();
    black_box(value);
    black_box(&mut used);
    elapsed
}

/// Scenario 6: one relocation of a coroutine using `N` bytes of stack, one
/// fresh coroutine per iteration, all in one runtime (the first window holds
/// the used part, so its pages stay between coroutines).
///
/// `relocation/<size>` asks for 2 MiB of room: a new window is mapped each
/// time, whatever the used size. `relocation/kept/<size>` asks for 64 KiB:
/// the pooled stack reuses the grown window it kept, so nothing is mapped.
fn bench_relocation<const N: usize>(c: &mut Criterion, name: &str) {
    let run = |room: usize, iters: u64| {
        let builder = coffi::Builder::new()
            .initial_stack(N + 64 * KIB)
            .max_stack(64 * KIB * KIB);
        timed_in_runtime(builder, move || {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let handle = coffi::spawn(move || relocate_with_used::<N>(room));
                total += handle.join().expect("the relocating coroutine finishes");
            }
            assert_eq!(coffi::stats().relocations, iters);
            total
        })
    };
    let mut group = c.benchmark_group("relocation");
    group.bench_function(name, |b| b.iter_custom(|iters| run(MAPPED_ROOM, iters)));
    if N == 64 * KIB {
        group.bench_function(format!("kept/{name}"), |b| {
            b.iter_custom(|iters| run(64 * KIB, iters))
        });
    }
    group.finish();
}

fn relocation(c: &mut Criterion) {
    bench_relocation::<{ 64 * KIB }>(c, "64KiB");
    bench_relocation::<{ KIB * KIB }>(c, "1MiB");
    bench_relocation::<{ 8 * KIB * KIB }>(c, "8MiB");
}

/// Scenario 7: spawn, run and join a coroutine that makes one foreign call.
fn spawn(c: &mut Criterion) {
    let mut group = c.benchmark_group("spawn");
    group.bench_function("call_join", |b| {
        b.iter_custom(|iters| {
            timed_in_runtime(coffi::Builder::new(), move || {
                time_loop(iters, || {
                    coffi::spawn(|| ffi::add(black_box(1), black_box(2)))
                        .join()
                        .ok()
                })
            })
        })
    });
    group.finish();
}

/// Scenario 2b, where the hand-written switch exists.
fn bare_switch(c: &mut Criterion) {
    #[cfg(target_arch = "x86_64")]
    bare_switch::bare_switch(c);
    #[cfg(not(target_arch = "x86_64"))]
    let _ = c;
}

criterion_group!(
    benches,
    floor,
    raw_switch,
    bare_switch,
    foreign_call,
    callback,
    seed,
    relocation,
    spawn
);
criterion_main!(benches);
