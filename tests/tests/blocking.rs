//! `#[foreign_call(blocking)]`: C that waits parks only its coroutine, and
//! callbacks it makes from the helper thread run at home, as part of the
//! coroutine. `#[export_callback(on_panic = ..)]`: what C gets from a body
//! that panicked.

mod common;

use coffi_tests::ffi::{self, home};
use common::panic_message;
use core::ffi::c_int;
use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::time::{Duration, Instant};

#[test]
fn sixty_four_blocking_sleeps_overlap_while_another_coroutine_ticks() {
    coffi::run(|| {
        let ticks = Rc::new(Cell::new(0u32));
        let done = Rc::new(Cell::new(false));
        let ticker = coffi::spawn({
            let (ticks, done) = (Rc::clone(&ticks), Rc::clone(&done));
            move || {
                while !done.get() {
                    coffi::sleep(Duration::from_millis(5));
                    ticks.set(ticks.get() + 1);
                }
            }
        });
        let start = Instant::now();
        let sleepers: Vec<_> = (0..64)
            .map(|_| coffi::spawn(|| ffi::slow_sleep_ms(100)))
            .collect();
        let ticks_before = ticks.get();
        for h in sleepers {
            assert_eq!(h.join().unwrap(), 100);
        }
        let elapsed = start.elapsed();
        let ticked = ticks.get() - ticks_before;
        done.set(true);
        ticker.join().unwrap();
        assert!(
            elapsed >= Duration::from_millis(100),
            "each sleep took its 100 ms: {elapsed:?}"
        );
        assert!(
            elapsed < Duration::from_secs(3),
            "64 x 100 ms in sequence would be 6.4 s; took {elapsed:?}"
        );
        assert!(
            ticked >= 5,
            "the ticker ran only {ticked} times while the sleepers slept {elapsed:?}"
        );
        assert_eq!(coffi::stats().blocking_calls, 64);
    });
}

#[test]
fn callbacks_of_a_blocking_call_run_at_home_and_may_sleep_and_use_rc() {
    coffi::run(|| {
        let me = std::thread::current().id();
        let shared = Rc::new(RefCell::new(vec![7]));
        home::SHARED.set(Some(Rc::clone(&shared)));
        home::CB_THREADS.take();
        let mut c_thread = 0u64;
        let start = Instant::now();
        // SAFETY: `home_cb` takes and returns a `c_int`; `c_thread` is a
        // valid out-parameter for the whole call.
        let sum = unsafe { ffi::call_home(5, ffi::home_cb_ptr(), &raw mut c_thread) };
        assert!(start.elapsed() >= Duration::from_millis(10), "5 x 2 ms");
        // 10 * (0 + 1 + 2 + 3 + 4) + 5 * 7
        assert_eq!(sum, 135);
        assert_eq!(*shared.borrow(), [7, 0, 1, 2, 3, 4]);
        assert_eq!(home::CB_THREADS.take(), vec![me; 5]);
        // SAFETY: pthread_self has no preconditions.
        let here = unsafe { libc::pthread_self() } as u64;
        assert_ne!(c_thread, 0);
        assert_ne!(c_thread, here, "C ran on a helper thread");
        assert_eq!(coffi::stats().blocking_calls, 1);
        home::SHARED.take();
    });
}

#[test]
fn other_coroutines_run_while_a_callback_at_home_sleeps() {
    coffi::run(|| {
        home::SHARED.set(Some(Rc::new(RefCell::new(vec![0]))));
        let caller = coffi::spawn(|| {
            let mut c_thread = 0u64;
            // SAFETY: as above.
            unsafe { ffi::call_home(10, ffi::home_cb_ptr(), &raw mut c_thread) }
        });
        let mut turns = 0;
        while !caller.is_finished() {
            coffi::yield_now();
            turns += 1;
        }
        assert_eq!(caller.join().unwrap(), 450);
        assert!(turns > 10, "the main coroutine ran {turns} times meanwhile");
        home::SHARED.take();
    });
}

#[test]
fn a_callback_at_home_that_needs_room_moves_the_small_stack() {
    let result = coffi::Builder::new()
        .initial_stack(16 * 1024)
        .run(|| {
            let h = coffi::spawn(|| {
                let mut c_thread = 0u64;
                // SAFETY: `home_big_cb` takes and returns a `c_int`.
                let sum = unsafe { ffi::call_home(3, ffi::home_big_cb_ptr(), &raw mut c_thread) };
                let moved = coffi::stack_info().map_or(0, |s| s.relocations);
                (sum, moved)
            });
            h.join().unwrap()
        })
        .expect("the runtime starts");
    let (sum, relocations) = result;
    assert_eq!(sum, 3 * 8256 + 3);
    assert!(relocations >= 1, "the 16 KiB stack moved: {relocations}");
}

#[test]
fn errno_of_the_helper_thread_comes_back() {
    coffi::run(|| {
        // SAFETY: errno is this thread's.
        unsafe { *libc::__errno_location() = libc::EINVAL };
        let (value, errno) = ffi::fails_with_erange_blocking(21);
        assert_eq!((value, errno), (42, coffi::Errno(libc::ERANGE)));
        let (value, errno) = ffi::succeeds_quietly_blocking(1);
        assert_eq!((value, errno), (2, coffi::Errno(0)));
        assert_eq!(coffi::stats().blocking_calls, 2);
    });
    // Outside a coroutine the call runs in place, with the same result.
    let (value, errno) = ffi::fails_with_erange_blocking(1);
    assert_eq!((value, errno), (2, coffi::Errno(libc::ERANGE)));
}

/// Sentinel for a row C did not reach.
const UNSEEN: c_int = 99;

type Rows = unsafe fn(c_int, Option<extern "C" fn(c_int) -> c_int>, *mut c_int);

/// Runs `rows(10, row_cb, answers)` in a coroutine, `row_cb` panicking at
/// row 3; returns the answers C stored, the rows whose body ran, and the
/// panic message the join gave.
fn panic_at_row_3(rows: Rows) -> (Vec<c_int>, Vec<i32>, String) {
    coffi::run(move || {
        home::PANIC_ROW.set(Some(3));
        home::ROWS_RUN.take();
        let answers = Rc::new(RefCell::new(vec![UNSEEN; 10]));
        let h = coffi::spawn({
            let answers = Rc::clone(&answers);
            move || {
                let out = answers.borrow_mut().as_mut_ptr();
                // SAFETY: `out` has room for the 10 answers and the vector
                // outlives the call; `row_cb` takes and returns a `c_int`.
                unsafe { rows(10, ffi::row_cb_ptr(), out) };
                unreachable!("the panic of row 3 resumes when C returns");
            }
        });
        let err = h.join().expect_err("the panic reaches the coroutine");
        home::PANIC_ROW.take();
        let answers = answers.borrow().clone();
        (answers, home::ROWS_RUN.take(), panic_message(&*err))
    })
}

#[test]
fn on_panic_stops_an_exec_loop_at_the_panicking_row() {
    // SAFETY (both): forwarded to `exec_rows`, whose answers are ignored.
    let blocking: Rows = |n, row, out| unsafe {
        ffi::exec_rows(n, row, out);
    };
    let inline: Rows = |n, row, out| unsafe {
        ffi::exec_rows_inline(n, row, out);
    };
    for rows in [blocking, inline] {
        let (answers, ran, message) = panic_at_row_3(rows);
        assert_eq!(answers, [0, 0, 0, -1, 99, 99, 99, 99, 99, 99]);
        assert_eq!(ran, [0, 1, 2, 3]);
        assert_eq!(message, "row 3 failed");
    }
}

#[test]
fn after_a_panic_later_callbacks_give_c_on_panic_without_running() {
    // SAFETY (both): forwarded to `all_rows`.
    let blocking: Rows = |n, row, out| unsafe { ffi::all_rows(n, row, out) };
    let inline: Rows = |n, row, out| unsafe { ffi::all_rows_inline(n, row, out) };
    for rows in [blocking, inline] {
        let (answers, ran, message) = panic_at_row_3(rows);
        assert_eq!(answers, [0, 0, 0, -1, -1, -1, -1, -1, -1, -1]);
        assert_eq!(ran, [0, 1, 2, 3], "no body ran after the panic");
        assert_eq!(message, "row 3 failed");
    }
}
