//! Callbacks in the other situations: panics, threads created by C, no runtime.

mod common;

use coffi_tests::{ffi, observe};
use common::panic_message;

#[test]
fn a_panic_in_a_callback_resumes_in_the_coroutine_after_c_returns() {
    coffi::run(|| {
        let failing = coffi::spawn(|| ffi::call_panicky(5));
        let fine: Vec<_> = (0..4)
            .map(|i| coffi::spawn(move || ffi::call_panicky(-i)))
            .collect();
        let err = failing
            .join()
            .expect_err("the panic must reach the coroutine");
        assert_eq!(panic_message(&*err), "panicky_cb refused 5");
        let values: Vec<i32> = fine.into_iter().map(|h| h.join().unwrap()).collect();
        assert_eq!(values, [1, 0, -1, -2]);
        // The runtime keeps going after the failure.
        assert_eq!(coffi::spawn(|| ffi::add_ints(2, 3)).join().unwrap(), 5);
    });
}

#[test]
fn c_gets_zero_from_a_panicking_callback_and_finishes_its_work() {
    coffi::run(|| {
        let h = coffi::spawn(|| {
            std::panic::catch_unwind(|| ffi::call_panicky(1)).map_err(|e| panic_message(&*e))
        });
        assert_eq!(h.join().unwrap(), Err("panicky_cb refused 1".to_string()));
    });
}

#[test]
fn a_callback_from_a_thread_created_by_c_runs_on_that_thread() {
    coffi::run(|| {
        let h = coffi::spawn(|| ffi::call_back_on_new_thread(7));
        assert_eq!(h.join().unwrap(), 21);
    });
    assert_eq!(ffi::call_back_on_new_thread(5), 15);
}

#[test]
fn the_callback_on_the_c_thread_runs_there_directly_not_on_a_coroutine() {
    use std::sync::atomic::Ordering::SeqCst;
    coffi::run(|| {
        assert_eq!(ffi::call_back_on_new_thread(1), 3);
        assert_eq!(observe::THREAD_CB_ON_COROUTINE.load(SeqCst), 0);
        // SAFETY: pthread_self has no preconditions.
        let me = unsafe { libc::pthread_self() } as u64;
        assert_ne!(
            observe::THREAD_CB_THREAD.load(SeqCst),
            me,
            "it ran on the C thread"
        );
    });
}

#[test]
fn foreign_calls_from_a_plain_thread_with_no_runtime() {
    let t = std::thread::spawn(|| {
        assert!(coffi::stack_info().is_none());
        (
            ffi::add_ints(40, 2),
            ffi::returnAfterGrowFromGo(),
            ffi::returnAfterGrow(),
        )
    });
    assert_eq!(t.join().unwrap(), (42, 8256, 123456));
}

#[test]
fn a_backtrace_in_a_callback_walks_back_through_c_and_both_stack_switches() {
    #[inline(never)]
    fn caller_on_the_coroutine() -> i32 {
        ffi::call_backtrace_cb()
    }
    coffi::run(|| assert_eq!(coffi::spawn(caller_on_the_coroutine).join().unwrap(), 1));
    let trace = observe::LAST_BACKTRACE.with_borrow(Clone::clone);
    // From the callback, through the C function and the shim on the
    // scheduler stack, back to the Rust caller on the coroutine stack.
    let order = [
        "backtrace_cb",
        "call_backtrace_cb",
        "__coffi_shim_call_backtrace_cb",
        "caller_on_the_coroutine",
    ];
    let mut at = 0;
    for name in order {
        let found = trace[at..]
            .find(name)
            .unwrap_or_else(|| panic!("no {name} after the frames before it in:\n{trace}"));
        at += found + name.len();
    }
}
