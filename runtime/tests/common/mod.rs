//! Helpers shared by the runtime's integration tests.
// Each test binary compiles this module and uses only part of it.
#![allow(dead_code, unused_imports)]

use std::ffi::c_void;

// The child-process harness and /proc readings, shared with coffi-tests.
pub use coffi_test_support::{
    Gate, assert_died_with, assert_succeeded_with, is_child, mappings, panic_message, run_in_child,
};

/// The frame of the hand-written shims below: one `int` return slot.
#[repr(C)]
pub struct IntFrame {
    pub r: i32,
}

/// Runs `shim` with an `IntFrame` through the runtime's foreign-call path and
/// returns what the shim stored.
pub fn call_int_shim(shim: coffi::__private::ShimFn) -> i32 {
    let mut frame = IntFrame { r: -1 };
    // SAFETY: the shims used with this helper take an `IntFrame`.
    unsafe { coffi::__private::call_foreign(shim, &raw mut frame) };
    frame.r
}

/// Reads the stack top the way a generated shim does: through the pointer
/// the runtime passes it.
///
/// # Safety
///
/// `top` must be the pointer the runtime passed to the running shim.
pub unsafe fn read_top(top: *const usize) -> usize {
    // SAFETY: forwarded from the caller.
    unsafe { top.read_volatile() }
}

/// Stores `r` into the frame `a` the way a generated shim does: re-derived by
/// how far `*top` moved since `top0`.
///
/// # Safety
///
/// `a` must be the `IntFrame` of the running foreign call and `top` the
/// pointer the runtime passed to its shim.
pub unsafe fn store_adjusted(a: *mut c_void, top: *const usize, top0: usize, r: i32) {
    // SAFETY: forwarded from the caller.
    let delta = unsafe { read_top(top) }.wrapping_sub(top0);
    let frame = (a as usize).wrapping_add(delta) as *mut IntFrame;
    // SAFETY: the caller passes the frame; the delta moves it into the
    // window the coroutine runs in now, which aliases the same memory.
    unsafe { (*frame).r = r };
}

/// A recursion that uses about 256 bytes of stack per level and returns the
/// sum `1 + 2 + ... + n`.
#[inline(never)]
pub fn deep_sum(n: u32) -> u32 {
    let mut pad = [0u8; 256];
    pad[(n % 256) as usize] = n as u8;
    let pad = std::hint::black_box(pad);
    if n == 0 {
        return u32::from(pad[0]);
    }
    n + deep_sum(n - 1) + u32::from(pad[(n % 256) as usize]) - u32::from(n as u8)
}

/// A callback that needs 256 KiB: from a 16 KiB coroutine it moves the stack.
pub extern "C" fn hungry_cb() -> i32 {
    coffi::__private::run_callback("hungry_cb", 256 * 1024, || deep_sum(128) as i32)
}

/// A shim that forgets the delta: writes the result through the old pointer.
///
/// # Safety
///
/// `a` is an [`IntFrame`]; strict mode must catch the write.
pub unsafe extern "C" fn stale_shim(a: *mut c_void, _top: *const usize) {
    let r = hungry_cb();
    // SAFETY: deliberately stale: `a` points into the window the stack left;
    // strict mode must catch this write.
    unsafe { (*a.cast::<IntFrame>()).r = r };
}

/// The same shim done right, as the generated ones do it: the frame
/// re-derived by how far the top moved.
///
/// # Safety
///
/// As a shim: `a` is an [`IntFrame`], `top` the runtime's top pointer.
pub unsafe extern "C" fn adjusted_shim(a: *mut c_void, top: *const usize) {
    // SAFETY: the runtime passes a pointer to the current window top.
    let top0 = unsafe { read_top(top) };
    let r = hungry_cb();
    // SAFETY: `a` is this call's frame.
    unsafe { store_adjusted(a, top, top0, r) };
}
