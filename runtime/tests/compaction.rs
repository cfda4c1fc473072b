//! Idle-stack compaction (`Builder::compact_idle_stacks`): a parked
//! coroutine's stack gives its pages back and gets its bytes back, at the
//! same addresses, before it runs or as soon as any thread touches them.
//!
//! The tests wait for a compaction by counting (`Stats::compactions`) while
//! the main coroutine only yields (it never parks, so the compacted stack is
//! the other coroutine's): no timing is asserted.

mod common;

use coffi::__private::blocking_call;
use common::{
    adjusted_shim, assert_died_with, call_int_shim, deep_sum, is_child, read_top, run_in_child,
    stale_shim, store_adjusted,
};
use std::ffi::c_void;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

/// Compacts every parked coroutine as soon as the scheduler looks.
fn compacting() -> coffi::Builder {
    coffi::Builder::new()
        .initial_stack(16 * 1024)
        .compact_idle_stacks(Some(Duration::ZERO))
}

/// Yields (never parks) until `n` stacks were compacted in this runtime.
fn yield_until_compactions(n: u64) {
    while coffi::stats().compactions < n {
        coffi::yield_now();
    }
}

/// A future that any thread can complete.
#[derive(Clone, Default)]
struct Signal(Arc<Mutex<(bool, Option<Waker>)>>);

impl Signal {
    fn set(&self) {
        let waker = {
            let mut state = self.0.lock().unwrap();
            state.0 = true;
            state.1.take()
        };
        if let Some(waker) = waker {
            waker.wake();
        }
    }
}

impl Future for Signal {
    type Output = ();
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let mut state = self.0.lock().unwrap();
        if state.0 {
            return Poll::Ready(());
        }
        state.1 = Some(cx.waker().clone());
        Poll::Pending
    }
}

fn pattern(i: usize) -> u8 {
    (i * 31 % 251) as u8
}

#[test]
fn a_compacted_coroutines_locals_survive_and_it_resumes() {
    let (stats, ok) = compacting()
        .run(|| {
            let wake = Signal::default();
            let parked = wake.clone();
            let h = coffi::spawn(move || {
                let mut local = [0u8; 1500];
                for (i, b) in local.iter_mut().enumerate() {
                    *b = pattern(i);
                }
                let local = std::hint::black_box(&mut local);
                let before = local.as_ptr() as usize;
                coffi::wait(parked);
                local.as_ptr() as usize == before
                    && local.iter().enumerate().all(|(i, &b)| b == pattern(i))
            });
            yield_until_compactions(1);
            wake.set();
            let ok = h.join().unwrap();
            (coffi::stats(), ok)
        })
        .unwrap();
    assert!(ok, "the locals changed across compaction");
    assert!(
        stats.compactions >= 1 && stats.restorations >= 1,
        "{stats:?}"
    );
}

#[test]
fn a_scoped_thread_and_c_read_and_write_a_compacted_stack() {
    static GO: AtomicBool = AtomicBool::new(false);
    let (stats, ok) = compacting()
        .run(|| {
            let h = coffi::spawn(|| {
                let mut buf = [7u8; 3000];
                let done = Signal::default();
                std::thread::scope(|s| {
                    let buf = &mut buf;
                    let finished = done.clone();
                    s.spawn(move || {
                        while !GO.load(Ordering::Acquire) {
                            std::thread::yield_now();
                        }
                        // The coroutine is parked and its stack compacted:
                        // these accesses fault and bring the bytes back.
                        let seen = buf.iter().all(|&b| b == 7);
                        // SAFETY: C writes 3000 bytes into the buffer we own.
                        unsafe { libc::memset(buf.as_mut_ptr().cast(), 9, 1000) };
                        buf[1000..].fill(8);
                        finished.set();
                        seen
                    });
                    coffi::wait(done);
                });
                buf[..1000].iter().all(|&b| b == 9) && buf[1000..].iter().all(|&b| b == 8)
            });
            yield_until_compactions(1);
            GO.store(true, Ordering::Release);
            let ok = h.join().unwrap();
            (coffi::stats(), ok)
        })
        .unwrap();
    assert!(ok, "the coroutine did not see what the thread wrote");
    assert!(
        stats.compactions >= 1 && stats.restorations >= 1,
        "{stats:?}"
    );
}

#[test]
fn a_grown_stack_or_a_runtime_without_compaction_is_left_alone() {
    let compactions = compacting()
        .run(|| {
            let wake = Signal::default();
            let parked = wake.clone();
            let h = coffi::spawn(move || {
                coffi::maybe_grow(64 * 1024, || coffi::wait(parked));
            });
            for _ in 0..1000 {
                coffi::yield_now();
            }
            let compactions = coffi::stats().compactions;
            wake.set();
            h.join().unwrap();
            compactions
        })
        .unwrap();
    assert_eq!(compactions, 0, "a coroutine parked in a grown window");
    let compactions = coffi::Builder::new()
        .run(|| {
            let h = coffi::spawn(|| coffi::sleep(Duration::from_millis(20)));
            coffi::sleep(Duration::from_millis(5));
            h.join().unwrap();
            coffi::stats().compactions
        })
        .unwrap();
    assert_eq!(compactions, 0, "compaction is off by default");
}

#[test]
fn a_forked_child_reads_a_compacted_stack_from_its_own_copy() {
    let (code, intact) = compacting()
        .run(|| {
            let wake = Signal::default();
            let parked = wake.clone();
            let at = Arc::new(std::sync::atomic::AtomicUsize::new(0));
            let addr = at.clone();
            let h = coffi::spawn(move || {
                let mut local = [5u8; 700];
                addr.store(local.as_mut_ptr() as usize, Ordering::Release);
                coffi::wait(parked);
                std::hint::black_box(&local).iter().all(|&b| b == 5)
            });
            yield_until_compactions(1);
            let local = at.load(Ordering::Acquire) as *mut u8;
            // SAFETY: the child reads and writes the parked coroutine's
            // local (its copy of it) and ends with `_exit`.
            let pid = unsafe { libc::fork() };
            assert!(pid >= 0, "fork failed");
            if pid == 0 {
                // SAFETY: as above.
                let seen = (0..700).all(|i| unsafe { local.add(i).read_volatile() } == 5);
                // SAFETY: as above.
                unsafe { local.write_bytes(0, 700) };
                // SAFETY: ends the child at once.
                unsafe { libc::_exit(if seen { 7 } else { 1 }) };
            }
            let mut status = 0;
            // SAFETY: waits for the child just made.
            assert_eq!(unsafe { libc::waitpid(pid, &mut status, 0) }, pid);
            wake.set();
            (libc::WEXITSTATUS(status), h.join().unwrap())
        })
        .unwrap();
    assert_eq!(code, 7, "the child did not see the compacted bytes");
    assert!(intact, "the child's writes reached the parent's stack");
}

/// Parks a coroutine until it was compacted, then runs `then` on it.
fn after_compaction(then: fn() -> i32) -> i32 {
    let wake = Signal::default();
    let parked = wake.clone();
    let h = coffi::spawn(move || {
        coffi::wait(parked);
        then()
    });
    yield_until_compactions(1);
    wake.set();
    h.join().unwrap()
}

#[test]
fn strict_mode_still_checks_shims_on_a_stack_that_was_compacted() {
    if is_child("stale-after-compaction") {
        compacting()
            .strict(true)
            .run(|| after_compaction(|| call_int_shim(stale_shim)))
            .unwrap();
        return; // not reached: the stale write faults
    }
    let r = compacting()
        .strict(true)
        .run(|| after_compaction(|| call_int_shim(adjusted_shim)))
        .unwrap();
    assert_eq!(r, deep_sum(128) as i32);
    let out = run_in_child(
        "strict_mode_still_checks_shims_on_a_stack_that_was_compacted",
        "stale-after-compaction",
    );
    assert_died_with(&out, &["coffi strict mode: write to", "old window 0"]);
}

/// "C" on a helper thread that reads the calling coroutine's buffer (passed
/// in the frame) for 50 ms: the coroutine is parked meanwhile.
unsafe extern "C" fn reading_shim(a: *mut c_void, top: *const usize) {
    // SAFETY: the runtime passes a valid top pointer.
    let top0 = unsafe { read_top(top) };
    // SAFETY: `a` is this call's BufferFrame (a heap copy of it).
    let buffer = unsafe { (*a.cast::<BufferFrame>()).buffer };
    let mut sum = 0i32;
    let start = std::time::Instant::now();
    while start.elapsed() < Duration::from_millis(50) {
        // SAFETY: the buffer lives in the caller's frame for the whole call.
        sum = (0..256)
            .map(|i| i32::from(unsafe { buffer.add(i).read_volatile() }))
            .sum();
        std::thread::sleep(Duration::from_millis(1));
    }
    // SAFETY: `a` is this call's frame.
    unsafe { store_adjusted(a, top, top0, sum) };
}

/// The frame of `reading_shim`: the result first, as `store_adjusted`
/// writes it.
#[repr(C)]
struct BufferFrame {
    r: i32,
    buffer: *const u8,
}

#[test]
fn a_coroutine_with_a_blocking_call_in_flight_is_not_compacted() {
    let (sum, compactions) = compacting()
        .run(|| {
            let h = coffi::spawn(|| {
                let buffer = [3u8; 256];
                let mut frame = BufferFrame {
                    r: -1,
                    buffer: buffer.as_ptr(),
                };
                // SAFETY: the shim takes a BufferFrame.
                unsafe { blocking_call("reading", reading_shim, &raw mut frame) };
                // Only this coroutine parks in this runtime (the main one
                // yields): no compaction may have happened during the call.
                (frame.r, coffi::stats().compactions)
            });
            while !h.is_finished() {
                coffi::yield_now();
            }
            h.join().unwrap()
        })
        .unwrap();
    assert_eq!(sum, 3 * 256);
    assert_eq!(
        compactions, 0,
        "a stack was compacted under a blocking call"
    );
}
