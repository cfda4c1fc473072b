//! Waiting without stalling: timers, channels fed by other threads, and
//! futures woken on the coroutine's own thread.

mod common;

use coffi::__private::run_callback;
use common::{IntFrame, call_int_shim};
use std::cell::Cell;
use std::ffi::c_void;
use std::rc::Rc;
use std::time::{Duration, Instant};

#[test]
fn a_thousand_sleepers_overlap_while_a_yielding_coroutine_keeps_running() {
    let start = Instant::now();
    let (spins, woke) = coffi::run(|| {
        let done = Rc::new(Cell::new(0u32));
        let sleepers: Vec<_> = (0..1000)
            .map(|_| {
                let done = done.clone();
                coffi::spawn(move || {
                    let before = Instant::now();
                    coffi::sleep(Duration::from_millis(50));
                    assert!(before.elapsed() >= Duration::from_millis(50));
                    done.set(done.get() + 1);
                })
            })
            .collect();
        let watcher = done.clone();
        let spinner = coffi::spawn(move || {
            let mut spins = 0u64;
            while watcher.get() < 1000 {
                spins += 1;
                coffi::yield_now();
            }
            spins
        });
        sleepers.into_iter().for_each(|h| h.join().unwrap());
        (spinner.join().unwrap(), done.get())
    });
    assert_eq!(woke, 1000);
    // One after another they would take 50 s.
    assert!(
        start.elapsed() < Duration::from_secs(10),
        "{:?}",
        start.elapsed()
    );
    assert!(spins > 100, "the yielding coroutine ran {spins} times");
}

#[test]
fn ten_thousand_values_from_a_std_thread_through_a_bounded_channel() {
    let (tx, rx) = async_channel::bounded::<u32>(16);
    let producer = std::thread::spawn(move || {
        for i in 0..10_000 {
            tx.send_blocking(i).unwrap();
        }
    });
    let (count, sum, in_order) = coffi::run(move || {
        let mut count = 0u32;
        let mut sum = 0u64;
        let mut in_order = true;
        while let Ok(v) = coffi::wait(rx.recv()) {
            in_order &= v == count;
            count += 1;
            sum += u64::from(v);
        }
        (count, sum, in_order)
    });
    producer.join().unwrap();
    assert_eq!(count, 10_000);
    assert_eq!(sum, 9_999 * 10_000 / 2);
    assert!(in_order);
}

#[test]
fn coroutines_of_one_thread_wake_each_other_through_a_channel() {
    let total = coffi::run(|| {
        let (tx, rx) = async_channel::bounded::<u64>(1);
        let consumer = coffi::spawn(move || {
            let mut total = 0;
            while let Ok(v) = coffi::wait(rx.recv()) {
                total += v;
            }
            total
        });
        for i in 1..=100 {
            coffi::wait(tx.send(i)).unwrap();
        }
        drop(tx);
        consumer.join().unwrap()
    });
    assert_eq!(total, 5050);
}

#[test]
fn wait_and_sleep_outside_a_coroutine_block_the_thread() {
    let (tx, rx) = async_channel::bounded::<&str>(1);
    std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(20));
        tx.send_blocking("late").unwrap();
    });
    assert_eq!(coffi::wait(rx.recv()).unwrap(), "late");
    let start = Instant::now();
    coffi::sleep(Duration::from_millis(20));
    assert!(start.elapsed() >= Duration::from_millis(20));
    assert_eq!(coffi::wait(async { 7 }), 7);
}

/// A callback that tries to wait while C frames are live under it.
extern "C" fn waiting_cb() -> i32 {
    run_callback("waiting_cb", 8 * 1024, || {
        coffi::sleep(Duration::from_millis(1));
        1
    })
}

unsafe extern "C" fn waiting_shim(a: *mut c_void, top: *const usize) {
    // SAFETY: the runtime passes the shim a valid top pointer.
    let top0 = unsafe { common::read_top(top) };
    let r = waiting_cb();
    // SAFETY: `a` is this call's IntFrame.
    unsafe { common::store_adjusted(a, top, top0, r) };
}

#[test]
fn waiting_in_a_callback_under_a_foreign_call_panics_saying_why() {
    let msg = coffi::run(|| {
        let h = coffi::spawn(|| call_int_shim(waiting_shim));
        common::panic_message(&*h.join().unwrap_err())
    });
    assert!(
        msg.contains("coffi::wait called inside an #[export_callback]"),
        "{msg}"
    );
    assert!(msg.contains("C frames are live"), "{msg}");
}

#[test]
fn a_join_cycle_is_still_a_deadlock_while_a_sleeper_is_pending() {
    let err = std::panic::catch_unwind(|| {
        coffi::run(|| {
            let slot: Rc<Cell<Option<coffi::JoinHandle<()>>>> = Rc::default();
            let s = slot.clone();
            let a = coffi::spawn(move || {
                coffi::yield_now();
                if let Some(b) = s.take() {
                    let _ = b.join();
                }
            });
            slot.set(Some(coffi::spawn(move || {
                let _ = a.join();
            })));
            // A sleeper keeps the scheduler in the reactor for a while;
            // once it is done only the cycle is left.
            coffi::spawn(|| coffi::sleep(Duration::from_millis(30)));
        })
    })
    .unwrap_err();
    let msg = common::panic_message(&*err);
    assert!(msg.contains("deadlock"), "{msg}");
}

#[test]
fn wakers_are_send_and_sync_and_outlive_their_runtime_harmlessly() {
    fn assert_send_sync<T: Send + Sync>(_: &T) {}
    let waker = coffi::run(|| {
        coffi::wait(std::future::poll_fn(|cx| {
            std::task::Poll::Ready(cx.waker().clone())
        }))
    });
    assert_send_sync(&waker);
    // The runtime is gone: waking does nothing.
    waker.wake();
}

#[test]
fn a_waker_called_during_the_poll_is_not_lost() {
    let polls = coffi::run(|| {
        let mut polls = 0;
        coffi::wait(std::future::poll_fn(|cx| {
            polls += 1;
            if polls < 3 {
                // Wake at once, before the coroutine parks.
                cx.waker().wake_by_ref();
                std::task::Poll::Pending
            } else {
                std::task::Poll::Ready(())
            }
        }));
        polls
    });
    assert_eq!(polls, 3);
}

#[test]
fn callbacks_in_a_coroutine_that_waited_still_work() {
    let value = coffi::run(|| {
        coffi::sleep(Duration::from_millis(1));
        call_int_shim(common_shim)
    });
    assert_eq!(value, 5);
}

unsafe extern "C" fn common_shim(a: *mut c_void, top: *const usize) {
    // SAFETY: the runtime passes the shim a valid top pointer.
    let top0 = unsafe { common::read_top(top) };
    let r = run_callback("five", 64 * 1024, || 5);
    // SAFETY: `a` is this call's IntFrame.
    unsafe { common::store_adjusted(a, top, top0, r) };
}

#[allow(dead_code)]
fn frame_type_is_used(_: IntFrame) {}
