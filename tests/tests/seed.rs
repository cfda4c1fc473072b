//! The seed scenarios: C calls a Rust callback that needs more stack than the
//! coroutine has; the stack moves while C holds the foreign call's return
//! slot; the shim re-derives it by the stack-top delta.

mod common;

use coffi_tests::ffi;
use common::{assert_died_with, is_child, run_in_child, strict_16k};

#[test]
fn return_after_grow_gets_123456_after_the_stack_moved() {
    let (value, moved) = strict_16k()
        .run(|| {
            let h = coffi::spawn(|| {
                let value = ffi::returnAfterGrow();
                (value, coffi::stack_info().unwrap().relocations)
            });
            h.join().unwrap()
        })
        .unwrap();
    assert_eq!(value, 123456);
    assert_eq!(moved, 1, "the callback must have moved the stack");
    assert!(coffi::stats().relocations >= 1);
    assert!(coffi::stats().max_window >= 256 * 1024);
}

#[test]
fn return_after_grow_from_go_gets_8256_after_the_stack_moved() {
    let (value, moved) = strict_16k()
        .run(|| {
            (
                ffi::returnAfterGrowFromGo(),
                coffi::stack_info().unwrap().relocations,
            )
        })
        .unwrap();
    assert_eq!(value, 129 * 128 / 2);
    assert_eq!(moved, 1);
}

#[test]
fn both_scenarios_repeat_on_many_coroutines() {
    strict_16k()
        .run(|| {
            let hs: Vec<_> = (0..100)
                .map(|i| {
                    coffi::spawn(move || {
                        if i % 2 == 0 {
                            ffi::returnAfterGrow()
                        } else {
                            ffi::returnAfterGrowFromGo()
                        }
                    })
                })
                .collect();
            for (i, h) in hs.into_iter().enumerate() {
                let want = if i % 2 == 0 { 123456 } else { 8256 };
                assert_eq!(h.join().unwrap(), want);
            }
        })
        .unwrap();
    assert_eq!(coffi::stats().relocations, 100);
}

/// Runs a hand-written shim that skips the delta adjustment.
fn call_unadjusted(shim: coffi::__private::ShimFn) -> i32 {
    let mut frame: i32 = -1;
    // SAFETY: the shims in c/unadjusted.c take a `struct { int r; }` frame.
    unsafe { coffi::__private::call_foreign(shim, &raw mut frame) };
    frame
}

#[test]
fn without_the_delta_adjustment_scenario_a_dies_in_strict_mode() {
    if is_child("a") {
        strict_16k()
            .run(|| call_unadjusted(ffi::unadjusted_returnAfterGrow))
            .unwrap();
        return;
    }
    let out = run_in_child(
        "without_the_delta_adjustment_scenario_a_dies_in_strict_mode",
        "a",
    );
    assert_died_with(&out, &["coffi strict mode: write to", "moved by"]);
}

#[test]
fn without_the_delta_adjustment_scenario_b_dies_in_strict_mode() {
    if is_child("b") {
        strict_16k()
            .run(|| call_unadjusted(ffi::unadjusted_returnAfterGrowFromGo))
            .unwrap();
        return;
    }
    let out = run_in_child(
        "without_the_delta_adjustment_scenario_b_dies_in_strict_mode",
        "b",
    );
    assert_died_with(&out, &["coffi strict mode: write to", "moved by"]);
}

#[test]
fn without_strict_mode_the_unadjusted_shims_write_through_the_old_alias() {
    // The old window still maps the same pages, so outside strict mode the
    // stale store lands: strict mode is what proves the shims right.
    let (a, b) = coffi::Builder::new()
        .initial_stack(16 * 1024)
        .run(|| {
            (
                call_unadjusted(ffi::unadjusted_returnAfterGrow),
                call_unadjusted(ffi::unadjusted_returnAfterGrowFromGo),
            )
        })
        .unwrap();
    assert_eq!((a, b), (123456, 8256));
}

#[test]
fn both_scenarios_through_blocking_calls_in_strict_mode_move_the_stack() {
    let results = strict_16k()
        .run(|| {
            let handles: Vec<_> = (0..8)
                .map(|i| {
                    coffi::spawn(move || {
                        let value = if i % 2 == 0 {
                            ffi::returnAfterGrow_blocking()
                        } else {
                            ffi::returnAfterGrowFromGo_blocking()
                        };
                        (i, value, coffi::stack_info().unwrap().relocations)
                    })
                })
                .collect();
            let results: Vec<_> = handles.into_iter().map(|h| h.join().unwrap()).collect();
            (results, coffi::stats())
        })
        .unwrap();
    let (results, stats) = results;
    for (i, value, moved) in results {
        let want = if i % 2 == 0 { 123456 } else { 129 * 128 / 2 };
        assert_eq!(value, want, "coroutine {i}");
        assert!(
            moved >= 1,
            "coroutine {i}: the callback at home must move the stack"
        );
    }
    assert_eq!(stats.blocking_calls, 8);
}
