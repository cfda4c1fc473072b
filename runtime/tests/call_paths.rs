//! The call-path primitives, driven by hand-written shims (Rust functions
//! with the C ABI a generated shim has): Rust → "C" on the scheduler stack,
//! callbacks back on the coroutine window, nesting, panics.

mod common;

use coffi::__private::run_callback;
use common::{IntFrame, call_int_shim, deep_sum, store_adjusted};
use std::cell::Cell;
use std::ffi::c_void;

thread_local! {
    static NEST_LEFT: Cell<u32> = const { Cell::new(0) };
    static SEEN: std::cell::RefCell<Vec<(u32, i32)>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Shim: calls the callback `nest_cb` "from C" and stores its result.
unsafe extern "C" fn nest_shim(a: *mut c_void, top: *const usize) {
    // SAFETY: the runtime passes the shim a valid top pointer.
    let top0 = unsafe { common::read_top(top) };
    let r = nest_cb();
    // SAFETY: `a` is this call's IntFrame.
    unsafe { store_adjusted(a, top, top0, r) };
}

/// Callback: recurses through another foreign call until the innermost
/// level, which needs 256 KiB and so moves the stack.
extern "C" fn nest_cb() -> i32 {
    let left = NEST_LEFT.get();
    if left == 0 {
        return run_callback("deep_cb", 1024 * 1024, || {
            let before = coffi::stack_info().unwrap();
            let r = deep_sum(400) as i32; // 100 to 300 KiB of stack, by build profile
            assert!(
                coffi::stack_info().unwrap().window_len >= 1024 * 1024,
                "{before:?}"
            );
            r
        });
    }
    run_callback("nest_cb", 8 * 1024, move || {
        NEST_LEFT.set(left - 1);
        let inner = call_int_shim(nest_shim);
        NEST_LEFT.set(left);
        SEEN.with_borrow_mut(|s| s.push((left, inner)));
        inner + left as i32
    })
}

#[test]
fn nested_calls_three_deep_with_a_relocation_in_the_innermost_callback() {
    for strict in [false, true] {
        SEEN.with_borrow_mut(Vec::clear);
        let (value, relocations) = coffi::Builder::new()
            .initial_stack(16 * 1024)
            .strict(strict)
            .run(|| {
                NEST_LEFT.set(3);
                let mut before = [7u8; 64];
                let value = call_int_shim(nest_shim);
                before[0] += 1; // the caller's frame is writable again
                assert_eq!(std::hint::black_box(before)[0], 8);
                (value, coffi::stack_info().unwrap().relocations)
            })
            .unwrap();
        let innermost = 400 * 401 / 2;
        // Levels 1, 2, 3 each add their number to what the level below gave.
        assert_eq!(
            SEEN.with_borrow(Clone::clone),
            vec![(1, innermost), (2, innermost + 1), (3, innermost + 3)]
        );
        assert_eq!(value, innermost + 6, "strict = {strict}");
        assert!(relocations >= 1);
        let stats = coffi::stats();
        assert_eq!(stats.foreign_calls, 4);
        assert_eq!(stats.callbacks, 4);
    }
}

/// Shim that returns 41 + 1 without calling back.
unsafe extern "C" fn plain_shim(a: *mut c_void, top: *const usize) {
    // SAFETY: the runtime passes the shim a valid top pointer.
    let top0 = unsafe { common::read_top(top) };
    // SAFETY: `a` is this call's IntFrame.
    unsafe { store_adjusted(a, top, top0, 42) };
}

#[test]
fn foreign_calls_work_on_a_plain_thread_and_in_a_coroutine() {
    assert_eq!(call_int_shim(plain_shim), 42);
    assert_eq!(call_int_shim(nest_shim_once), 5050);
    let in_coroutine = coffi::run(|| call_int_shim(plain_shim) + call_int_shim(nest_shim_once));
    assert_eq!(in_coroutine, 5092);
}

unsafe extern "C" fn nest_shim_once(a: *mut c_void, top: *const usize) {
    // SAFETY: the runtime passes the shim a valid top pointer.
    let top0 = unsafe { common::read_top(top) };
    let r = sum_cb();
    // SAFETY: `a` is this call's IntFrame.
    unsafe { store_adjusted(a, top, top0, r) };
}

extern "C" fn sum_cb() -> i32 {
    run_callback("sum_cb", 256 * 1024, || deep_sum(100) as i32)
}

#[test]
fn c_code_runs_on_the_scheduler_stack_not_on_the_coroutine() {
    unsafe extern "C" fn where_am_i(a: *mut c_void, _top: *const usize) {
        let local = 0u8;
        let addr = &raw const local as usize;
        // SAFETY: `a` is a usize frame of this test.
        unsafe { *a.cast::<usize>() = addr };
    }
    coffi::run(|| {
        let info = coffi::stack_info().unwrap();
        let mut frame = 0usize;
        // SAFETY: `where_am_i` takes a usize frame; no callback, no move.
        unsafe { coffi::__private::call_foreign(where_am_i, &raw mut frame) };
        let on_coroutine = frame < info.top && frame >= info.top - info.window_len;
        assert!(
            !on_coroutine,
            "C ran at {frame:#x}, inside the coroutine stack"
        );
    });
}

thread_local! {
    static RUNS: Cell<u32> = const { Cell::new(0) };
}

extern "C" fn panicking_cb() -> i32 {
    run_callback("panicking_cb", 32 * 1024, || {
        RUNS.set(RUNS.get() + 1);
        panic!("callback failed on purpose")
    })
}

unsafe extern "C" fn shim_checks_zero(a: *mut c_void, top: *const usize) {
    // SAFETY: the runtime passes the shim a valid top pointer.
    let top0 = unsafe { common::read_top(top) };
    let r = panicking_cb();
    // C gets a zero and goes on; we record that it did.
    // SAFETY: `a` is this call's IntFrame.
    unsafe { store_adjusted(a, top, top0, if r == 0 { 77 } else { -1 }) };
}

#[test]
fn a_panic_in_a_callback_resumes_in_the_coroutine_after_c_returns() {
    let survivors = coffi::run(|| {
        let failing = coffi::spawn(|| {
            let mut frame = IntFrame { r: 0 };
            // SAFETY: the shim takes an IntFrame.
            unsafe { coffi::__private::call_foreign(shim_checks_zero, &raw mut frame) };
            unreachable!("the callback's panic resumes when the call returns")
        });
        let others: Vec<_> = (0..3)
            .map(|i| coffi::spawn(move || call_int_shim(plain_shim) + i))
            .collect();
        let err = failing.join().expect_err("the coroutine must fail");
        assert_eq!(
            err.downcast_ref::<&str>(),
            Some(&"callback failed on purpose")
        );
        others.into_iter().map(|h| h.join().unwrap()).sum::<i32>()
    });
    assert_eq!(survivors, 42 * 3 + 3);
    assert_eq!(RUNS.get(), 1);
}

#[test]
fn the_c_side_sees_zero_from_a_panicking_callback_and_continues() {
    coffi::run(|| {
        let h = coffi::spawn(|| {
            let mut frame = IntFrame { r: 0 };
            let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                // SAFETY: the shim takes an IntFrame.
                unsafe { coffi::__private::call_foreign(shim_checks_zero, &raw mut frame) }
            }));
            assert!(result.is_err());
            frame.r
        });
        assert_eq!(h.join().unwrap(), 77);
    });
}

#[test]
fn each_thread_runs_its_own_runtime() {
    let threads: Vec<_> = (0..2)
        .map(|t| {
            std::thread::spawn(move || {
                coffi::Builder::new()
                    .strict(true)
                    .run(move || {
                        let hs: Vec<_> = (0..50)
                            .map(|i| coffi::spawn(move || call_int_shim(nest_shim_once) + i + t))
                            .collect();
                        hs.into_iter().map(|h| h.join().unwrap()).sum::<i32>()
                    })
                    .unwrap()
            })
        })
        .collect();
    let sums: Vec<i32> = threads.into_iter().map(|t| t.join().unwrap()).collect();
    assert_eq!(sums, vec![5050 * 50 + 1225, 5050 * 50 + 1225 + 50]);
}

thread_local! {
    /// The backtrace `backtrace_cb` took, for the assertion's message.
    static BACKTRACE: std::cell::RefCell<String> = const { std::cell::RefCell::new(String::new()) };
}

/// Callback: takes a backtrace from its body, which runs on the coroutine
/// below the C frames' switch, and says whether it names the coroutine
/// function that made the foreign call.
extern "C" fn backtrace_cb() -> i32 {
    run_callback("backtrace_cb", 64 * 1024, || {
        let trace = std::backtrace::Backtrace::force_capture().to_string();
        let found = trace.contains("caller_on_the_coroutine");
        BACKTRACE.set(trace);
        i32::from(found)
    })
}

/// Shim: calls `backtrace_cb` "from C" on the scheduler stack.
unsafe extern "C" fn backtrace_shim(a: *mut c_void, top: *const usize) {
    // SAFETY: the runtime passes the shim a valid top pointer.
    let top0 = unsafe { common::read_top(top) };
    let r = backtrace_cb();
    // SAFETY: `a` is this call's IntFrame.
    unsafe { store_adjusted(a, top, top0, r) };
}

/// The coroutine's frame below the foreign call: only a walk that crosses
/// both switches (callback body → scheduler stack → coroutine) reaches it.
#[inline(never)]
fn caller_on_the_coroutine() -> i32 {
    std::hint::black_box(call_int_shim(backtrace_shim))
}

#[test]
fn a_backtrace_in_a_callback_walks_back_across_both_switches_to_the_coroutine() {
    let (found, trace) = coffi::run(|| {
        let found = caller_on_the_coroutine();
        (found, BACKTRACE.take())
    });
    assert_eq!(
        found, 1,
        "the callback's backtrace stops before the coroutine's frames:\n{trace}"
    );
    assert!(trace.contains("backtrace_shim"), "{trace}");
}
