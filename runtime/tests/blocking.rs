//! Blocking foreign calls: the shim runs on a helper thread, the coroutine
//! parks, and callbacks C makes there run at home, on the coroutine's
//! thread and stack.

mod common;

use coffi::__private::{blocking_call, callback, run_callback};
use common::{IntFrame, deep_sum, read_top, store_adjusted};
use std::cell::{Cell, RefCell};
use std::ffi::c_void;
use std::rc::Rc;
use std::thread::ThreadId;
use std::time::{Duration, Instant};

fn call_blocking(name: &'static str, shim: coffi::__private::ShimFn) -> i32 {
    let mut frame = IntFrame { r: -1 };
    // SAFETY: the shims of this file take an IntFrame.
    unsafe { blocking_call(name, shim, &raw mut frame) };
    frame.r
}

/// "C" that blocks for 100 ms.
unsafe extern "C" fn sleepy_shim(a: *mut c_void, top: *const usize) {
    // SAFETY: the runtime passes a valid top pointer.
    let top0 = unsafe { read_top(top) };
    std::thread::sleep(Duration::from_millis(100));
    // SAFETY: `a` is this call's IntFrame.
    unsafe { store_adjusted(a, top, top0, 100) };
}

#[test]
fn sixty_four_blocking_sleeps_overlap_while_another_coroutine_runs() {
    let start = Instant::now();
    let (sum, ticks, stats) = coffi::run(|| {
        let done = Rc::new(Cell::new(0));
        let sleepers: Vec<_> = (0..64)
            .map(|_| {
                let done = done.clone();
                coffi::spawn(move || {
                    let r = call_blocking("sleepy", sleepy_shim);
                    done.set(done.get() + 1);
                    r
                })
            })
            .collect();
        let watcher = done.clone();
        let ticker = coffi::spawn(move || {
            let mut ticks = 0u32;
            while watcher.get() < 64 {
                coffi::sleep(Duration::from_millis(5));
                ticks += 1;
            }
            ticks
        });
        let sum: i32 = sleepers.into_iter().map(|h| h.join().unwrap()).sum();
        (sum, ticker.join().unwrap(), coffi::stats())
    });
    assert_eq!(sum, 64 * 100);
    assert_eq!(stats.blocking_calls, 64);
    // One after another: 6.4 s.
    assert!(
        start.elapsed() < Duration::from_secs(3),
        "{:?}",
        start.elapsed()
    );
    assert!(ticks >= 3, "the other coroutine ticked {ticks} times");
}

thread_local! {
    static OWNED: RefCell<Option<Rc<RefCell<Vec<u32>>>>> = const { RefCell::new(None) };
    static HOME: Cell<Option<ThreadId>> = const { Cell::new(None) };
}

/// A callback that needs 256 KiB (so a 16 KiB coroutine's stack moves),
/// sleeps with coffi, and touches the coroutine's `Rc<RefCell<_>>`.
extern "C" fn at_home_cb() -> i32 {
    run_callback("at_home_cb", 256 * 1024, || {
        HOME.set(Some(std::thread::current().id()));
        coffi::sleep(Duration::from_millis(10));
        let owned = OWNED
            .with_borrow(|o| o.clone())
            .expect("the coroutine's data");
        owned.borrow_mut().push(7);
        let sum = deep_sum(128) as i32;
        sum + owned.borrow().len() as i32
    })
}

/// "C" on the helper: calls back twice, then stores the sum.
unsafe extern "C" fn calls_home_shim(a: *mut c_void, top: *const usize) {
    // SAFETY: the runtime passes a valid top pointer.
    let top0 = unsafe { read_top(top) };
    let helper = std::thread::current().id();
    let r = at_home_cb() + at_home_cb();
    assert_eq!(std::thread::current().id(), helper);
    // SAFETY: `a` is this call's IntFrame, re-derived by the delta.
    unsafe { store_adjusted(a, top, top0, r) };
}

#[test]
fn callbacks_of_a_blocking_call_run_at_home_and_may_sleep_and_move_the_stack() {
    let (value, home, coroutine_thread, owned, relocations) = coffi::Builder::new()
        .initial_stack(16 * 1024)
        .run(|| {
            let owned = Rc::new(RefCell::new(vec![1u32]));
            OWNED.with_borrow_mut(|o| *o = Some(owned.clone()));
            let value = call_blocking("calls_home", calls_home_shim);
            let owned = owned.borrow().clone();
            (
                value,
                HOME.get(),
                std::thread::current().id(),
                owned,
                coffi::stack_info().unwrap().relocations,
            )
        })
        .unwrap();
    let tri = 128 * 129 / 2;
    assert_eq!(value, (tri + 2) + (tri + 3));
    assert_eq!(home, Some(coroutine_thread));
    assert_eq!(owned, vec![1, 7, 7]);
    assert!(relocations >= 1);
}

thread_local! {
    static BODY_RUNS: Cell<u32> = const { Cell::new(0) };
}

extern "C" fn row_cb(row: i32) -> i32 {
    callback(
        "row_cb",
        8 * 1024,
        || -1,
        move || {
            BODY_RUNS.set(BODY_RUNS.get() + 1);
            if row == 2 {
                panic!("row {row} is bad");
            }
            0
        },
    )
}

/// Like `sqlite3_exec`: a callback per row, stopping at the first non-zero.
unsafe extern "C" fn rows_shim(a: *mut c_void, top: *const usize) {
    // SAFETY: the runtime passes a valid top pointer.
    let top0 = unsafe { read_top(top) };
    let mut seen = 0;
    for row in 0..22 {
        seen += 1;
        if row_cb(row) != 0 {
            break;
        }
    }
    // SAFETY: `a` is this call's IntFrame.
    unsafe { store_adjusted(a, top, top0, seen) };
}

/// C that calls back for all 22 rows whatever the answers: after the panic
/// at row 2, the remaining callbacks return their `on_panic` (0) without
/// running their bodies.
unsafe extern "C" fn all_rows_shim(a: *mut c_void, top: *const usize) {
    // SAFETY: the runtime passes a valid top pointer.
    let top0 = unsafe { read_top(top) };
    let mut answers = 0;
    for row in 0..22 {
        answers += callback(
            "zero_after_panic",
            8 * 1024,
            || 0,
            move || {
                BODY_RUNS.set(BODY_RUNS.get() + 1);
                if row == 2 {
                    panic!("row {row} is bad");
                }
                0
            },
        ) + 1;
    }
    // SAFETY: `a` is this call's IntFrame.
    unsafe { store_adjusted(a, top, top0, answers) };
}

#[test]
fn after_a_callback_panics_later_callbacks_return_on_panic_without_running() {
    for blocking in [false, true] {
        BODY_RUNS.set(0);
        let msg = coffi::run(move || {
            let h = coffi::spawn(move || {
                let mut frame = IntFrame { r: -1 };
                // SAFETY: the shims take an IntFrame.
                unsafe {
                    if blocking {
                        blocking_call("all_rows", all_rows_shim, &raw mut frame)
                    } else {
                        coffi::__private::call_foreign(all_rows_shim, &raw mut frame)
                    }
                };
                frame.r
            });
            common::panic_message(&*h.join().unwrap_err())
        });
        assert_eq!(msg, "row 2 is bad", "blocking: {blocking}");
        // Rows 0, 1 and 2 ran; the 19 after the panic did not.
        assert_eq!(BODY_RUNS.get(), 3, "blocking: {blocking}");
    }
    // C that stops on a non-zero answer stops at the panicking row.
    BODY_RUNS.set(0);
    let msg = coffi::run(|| {
        let h = coffi::spawn(|| call_blocking("rows", rows_shim));
        common::panic_message(&*h.join().unwrap_err())
    });
    assert_eq!(msg, "row 2 is bad");
    assert_eq!(BODY_RUNS.get(), 3);
}

/// A callback at home that makes a blocking call of its own, and an
/// ordinary one.
extern "C" fn nested_cb() -> i32 {
    run_callback("nested_cb", 16 * 1024, || {
        call_blocking("sleepy", sleepy_shim) + common::call_int_shim(plain_shim)
    })
}

unsafe extern "C" fn plain_shim(a: *mut c_void, top: *const usize) {
    // SAFETY: the runtime passes a valid top pointer.
    let top0 = unsafe { read_top(top) };
    // SAFETY: `a` is this call's IntFrame.
    unsafe { store_adjusted(a, top, top0, 5) };
}

unsafe extern "C" fn nesting_shim(a: *mut c_void, top: *const usize) {
    // SAFETY: the runtime passes a valid top pointer.
    let top0 = unsafe { read_top(top) };
    let r = nested_cb() + 1000;
    // SAFETY: `a` is this call's IntFrame.
    unsafe { store_adjusted(a, top, top0, r) };
}

#[test]
fn a_callback_at_home_may_make_blocking_and_ordinary_foreign_calls() {
    let (value, stats) = coffi::run(|| (call_blocking("nesting", nesting_shim), coffi::stats()));
    assert_eq!(value, 1000 + 100 + 5);
    assert_eq!(stats.blocking_calls, 2);
}

#[test]
fn outside_a_coroutine_a_blocking_call_runs_in_place() {
    assert_eq!(call_blocking("sleepy", sleepy_shim), 100);
    assert_eq!(coffi::stats().blocking_calls, 0);
}

#[test]
fn calls_beyond_the_helper_limit_wait_in_order() {
    let start = Instant::now();
    let sum = coffi::Builder::new()
        .blocking_threads(2)
        .run(|| {
            let hs: Vec<_> = (0..6)
                .map(|_| coffi::spawn(|| call_blocking("sleepy", sleepy_shim)))
                .collect();
            hs.into_iter().map(|h| h.join().unwrap()).sum::<i32>()
        })
        .unwrap();
    assert_eq!(sum, 600);
    // Six 100 ms calls on two helpers: three rounds.
    assert!(
        start.elapsed() >= Duration::from_millis(300),
        "{:?}",
        start.elapsed()
    );
}

#[test]
fn slow_ordinary_calls_are_counted_and_reported_once() {
    if common::is_child("slow") {
        let stats = coffi::Builder::new()
            .slow_call_warning(Duration::from_millis(20))
            .run(|| {
                for _ in 0..3 {
                    let mut frame = IntFrame { r: -1 };
                    // SAFETY: the shim takes an IntFrame.
                    unsafe {
                        coffi::__private::foreign_call("sleepy_c", sleepy_shim, &raw mut frame)
                    };
                    assert_eq!(frame.r, 100);
                }
                coffi::stats()
            })
            .unwrap();
        assert_eq!(stats.slow_calls, 3);
        println!("slow-ok");
        return;
    }
    let out = common::run_in_child("slow_ordinary_calls_are_counted_and_reported_once", "slow");
    let stderr = common::assert_succeeded_with(&out, &["slow-ok"]);
    assert_eq!(
        stderr.matches("the foreign call `sleepy_c` took").count(),
        1,
        "{stderr}"
    );
    assert!(
        stderr.contains("#[coffi::foreign_call(blocking)]"),
        "{stderr}"
    );
}

/// Helper threads of this process (named `coffi-blocking`).
fn helper_threads() -> usize {
    std::fs::read_dir("/proc/self/task")
        .unwrap()
        .filter_map(|task| std::fs::read_to_string(task.ok()?.path().join("comm")).ok())
        .filter(|name| name.trim() == "coffi-blocking")
        .count()
}

#[test]
fn no_helper_thread_outlives_its_run() {
    if common::is_child("helpers") {
        let during = coffi::run(|| {
            let hs: Vec<_> = (0..8)
                .map(|_| coffi::spawn(|| call_blocking("sleepy", sleepy_shim)))
                .collect();
            // Let the eight calls start on their helpers.
            coffi::sleep(Duration::from_millis(30));
            let during = helper_threads();
            hs.into_iter()
                .for_each(|h| assert_eq!(h.join().unwrap(), 100));
            during
        });
        assert_eq!(during, 8);
        assert_eq!(
            helper_threads(),
            0,
            "helpers left running after run returned"
        );
        println!("helpers-ok");
        return;
    }
    // In a child process of its own: other tests start helpers too.
    let out = common::run_in_child("no_helper_thread_outlives_its_run", "helpers");
    common::assert_succeeded_with(&out, &["helpers-ok"]);
}

thread_local! {
    static DEPTH_SEEN: RefCell<Vec<(u32, ThreadId)>> = const { RefCell::new(Vec::new()) };
}

/// Callback level `level` (at home): records where it ran, and below level
/// 2 makes another blocking call whose C calls back again.
fn nested_level(level: u32) -> i32 {
    DEPTH_SEEN.with_borrow_mut(|seen| seen.push((level, std::thread::current().id())));
    if level == 2 {
        return 2;
    }
    call_blocking("nest_deeper", nest_deeper_shim) + 10
}

extern "C" fn level_cb() -> i32 {
    // The body runs at home: the level is counted in the coroutine's
    // thread-local, not the helper's.
    run_callback("level_cb", 64 * 1024, || {
        nested_level(DEPTH_SEEN.with_borrow(|seen| seen.len()) as u32 + 1)
    })
}

/// "C" on a helper: calls `level_cb` and adds 100.
unsafe extern "C" fn nest_deeper_shim(a: *mut c_void, top: *const usize) {
    // SAFETY: the runtime passes a valid top pointer.
    let top0 = unsafe { read_top(top) };
    let r = level_cb() + 100;
    // SAFETY: `a` is this call's IntFrame.
    unsafe { store_adjusted(a, top, top0, r) };
}

#[test]
fn blocking_callback_blocking_callback_nests_at_home() {
    let (value, seen, me) = coffi::Builder::new()
        .initial_stack(16 * 1024)
        .run(|| {
            DEPTH_SEEN.with_borrow_mut(Vec::clear);
            let value = call_blocking("nest_deeper", nest_deeper_shim);
            (
                value,
                DEPTH_SEEN.with_borrow(|seen| seen.clone()),
                std::thread::current().id(),
            )
        })
        .unwrap();
    // level 2 returns 2; each C level adds 100, each Rust level 10.
    assert_eq!(value, ((2 + 100) + 10) + 100);
    assert_eq!(seen.iter().map(|(l, _)| *l).collect::<Vec<_>>(), [1, 2]);
    assert!(
        seen.iter().all(|(_, t)| *t == me),
        "callbacks ran off the coroutine's thread"
    );
}

static ARRIVALS: std::sync::Mutex<Vec<i32>> = std::sync::Mutex::new(Vec::new());

/// "C" that records the order calls reach a helper, then blocks 20 ms.
unsafe extern "C" fn arrival_shim(a: *mut c_void, top: *const usize) {
    // SAFETY: `a` is this call's IntFrame, which carries the caller's id in.
    let id = unsafe { (*a.cast::<IntFrame>()).r };
    ARRIVALS.lock().unwrap().push(id);
    std::thread::sleep(Duration::from_millis(20));
    // SAFETY: the runtime passes a valid top pointer; no callback moved it.
    let top0 = unsafe { read_top(top) };
    // SAFETY: as above.
    unsafe { store_adjusted(a, top, top0, id * 2) };
}

#[test]
fn calls_beyond_one_helper_run_in_the_order_they_arrived() {
    ARRIVALS.lock().unwrap().clear();
    let results = coffi::Builder::new()
        .blocking_threads(1)
        .run(|| {
            let hs: Vec<_> = (0..6)
                .map(|id| {
                    coffi::spawn(move || {
                        let mut frame = IntFrame { r: id };
                        // SAFETY: the shim takes an IntFrame.
                        unsafe { blocking_call("arrival", arrival_shim, &raw mut frame) };
                        frame.r
                    })
                })
                .collect();
            hs.into_iter()
                .map(|h| h.join().unwrap())
                .collect::<Vec<_>>()
        })
        .unwrap();
    assert_eq!(results, [0, 2, 4, 6, 8, 10]);
    assert_eq!(*ARRIVALS.lock().unwrap(), [0, 1, 2, 3, 4, 5]);
}

/// "C" on a helper that forks: the child writes the call's frame and
/// exits; the parent looks whether the write reached it, then answers.
unsafe extern "C" fn forking_on_helper_shim(a: *mut c_void, _top: *const usize) {
    let frame = a.cast::<IntFrame>();
    // SAFETY: the child only writes the frame and exits.
    let pid = unsafe { libc::fork() };
    if pid == 0 {
        // SAFETY: the frame the helper was given; `_exit` ends the child.
        unsafe {
            (*frame).r = 111;
            libc::_exit(0);
        }
    }
    let mut status = 0;
    // SAFETY: waits for the child just made.
    unsafe { libc::waitpid(pid, &mut status, 0) };
    // SAFETY: this call's frame.
    let seen = unsafe { (*frame).r };
    // SAFETY: as above.
    unsafe { (*frame).r = if seen == -1 { 222 } else { -9 } };
}

#[test]
fn a_child_forked_by_c_on_a_helper_does_not_write_the_coroutine() {
    let r = coffi::run(|| call_blocking("forking", forking_on_helper_shim));
    assert_eq!(r, 222, "the child's write reached the parent's frame");
}
