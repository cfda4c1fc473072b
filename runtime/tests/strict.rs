//! Strict mode: a shim's write through its frame pointer taken before a
//! callback moved the stack faults with the runtime's message; the same
//! write re-derived by how far the stack top moved succeeds, and so do
//! writes C makes to other coroutine data after the move.

mod common;

use common::{
    IntFrame, assert_died_with, call_int_shim, hungry_cb, is_child, run_in_child, stale_shim,
    store_adjusted,
};
use std::ffi::c_void;

/// The same shim done right, as the generated ones do it: through the
/// stack-top pointer the runtime passes.
unsafe extern "C" fn checked_adjusted_shim(a: *mut c_void, top: *const usize) {
    // SAFETY: the runtime passes a pointer to the current window top.
    let top0 = unsafe { top.read_volatile() };
    assert_eq!(top0, coffi::coffi_topofstack());
    let r = hungry_cb();
    // SAFETY: as above; the callback moved it.
    let moved = unsafe { top.read_volatile() }.wrapping_sub(top0);
    assert_ne!(moved, 0);
    // SAFETY: `a` is this call's frame, re-derived by the delta.
    unsafe { (*a.cast::<u8>().wrapping_add(moved).cast::<IntFrame>()).r = r };
}

fn strict_runtime() -> coffi::Builder {
    coffi::Builder::new().initial_stack(16 * 1024).strict(true)
}

#[test]
fn a_write_through_a_stale_pointer_kills_the_process_in_strict_mode() {
    if is_child("stale") {
        strict_runtime().run(|| call_int_shim(stale_shim)).unwrap();
        return; // not reached: the write above faults
    }
    let out = run_in_child(
        "a_write_through_a_stale_pointer_kills_the_process_in_strict_mode",
        "stale",
    );
    assert_died_with(
        &out,
        &["coffi strict mode: write to", "old window 0", "moved by"],
    );
}

#[test]
fn the_same_write_re_derived_by_the_delta_succeeds_in_strict_mode() {
    let (value, relocations) = strict_runtime()
        .run(|| {
            (
                call_int_shim(checked_adjusted_shim),
                coffi::stack_info().unwrap().relocations,
            )
        })
        .unwrap();
    assert_eq!(value, 128 * 129 / 2);
    assert_eq!(relocations, 1);
}

#[test]
fn without_strict_mode_the_stale_write_lands_through_the_alias() {
    // Old windows stay mapped on the same pages: the value arrives anyway.
    let value = coffi::Builder::new()
        .initial_stack(16 * 1024)
        .run(|| call_int_shim(stale_shim))
        .unwrap();
    assert_eq!(value, 128 * 129 / 2);
}

thread_local! {
    static KEPT: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// C that keeps a pointer to a coroutine local (user data, an out
/// parameter) and writes through it after a callback moved the stack, as
/// `sqlite3_exec` writes `*errmsg` after its row callbacks: correct, since
/// the old window stays mapped on the same pages.
unsafe extern "C" fn keeps_pointer_shim(a: *mut c_void, top: *const usize) {
    // SAFETY: the runtime passes the shim a valid top pointer.
    let top0 = unsafe { common::read_top(top) };
    let r = hungry_cb();
    let kept = KEPT.get() as *mut u64;
    // SAFETY: the coroutine local outlives the call; its old address stays
    // mapped and writable.
    unsafe { kept.write_volatile(0x5eed) };
    // SAFETY: `a` is this call's frame, re-derived by the delta.
    unsafe { store_adjusted(a, top, top0, r) };
}

#[test]
fn c_writing_an_out_parameter_after_the_stack_moved_passes_in_strict_mode() {
    let (local, value, relocations) = strict_runtime()
        .run(|| {
            let mut local = 0u64;
            KEPT.set(&raw mut local as usize);
            let value = call_int_shim(keeps_pointer_shim);
            (
                std::hint::black_box(local),
                value,
                coffi::stack_info().unwrap().relocations,
            )
        })
        .unwrap();
    assert_eq!(local, 0x5eed);
    assert_eq!(value, 128 * 129 / 2);
    assert_eq!(relocations, 1);
}

/// A shim that hands its stale frame pointer to another thread, which
/// writes the result through it.
unsafe extern "C" fn stale_from_another_thread_shim(a: *mut c_void, _top: *const usize) {
    let r = hungry_cb();
    let stale = a as usize;
    std::thread::spawn(move || {
        // SAFETY: deliberately stale: strict mode must catch this write,
        // made on a thread that runs no coroutine.
        unsafe { (*(stale as *mut IntFrame)).r = r };
    })
    .join()
    .unwrap();
}

#[test]
fn a_stale_write_from_another_thread_gets_the_strict_mode_message() {
    if is_child("other-thread") {
        strict_runtime()
            .run(|| call_int_shim(stale_from_another_thread_shim))
            .unwrap();
        return; // not reached: the write above faults
    }
    let out = run_in_child(
        "a_stale_write_from_another_thread_gets_the_strict_mode_message",
        "other-thread",
    );
    assert_died_with(
        &out,
        &["coffi strict mode: write to", "old window 0", "moved by"],
    );
}
