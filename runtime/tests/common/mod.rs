//! Helpers shared by the runtime's integration tests.
#![allow(dead_code)]

use std::ffi::c_void;
use std::process::{Command, Output};

/// Name of the environment variable that tells a re-executed test binary
/// which scenario to run.
const CHILD_ENV: &str = "COFFI_TEST_CHILD";

/// True in the child process started by [`run_in_child`] for `scenario`.
pub fn is_child(scenario: &str) -> bool {
    std::env::var(CHILD_ENV).as_deref() == Ok(scenario)
}

/// Re-runs the current test binary, only test `test`, with `scenario` set,
/// and returns its output.
pub fn run_in_child(test: &str, scenario: &str) -> Output {
    let exe = std::env::current_exe().expect("test binary path");
    Command::new(exe)
        .args([test, "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD_ENV, scenario)
        .env("RUST_BACKTRACE", "0")
        .output()
        .expect("re-run the test binary")
}

/// Asserts that the child died (by a signal or a failing exit) and that its
/// stderr contains every one of `needles`; returns the stderr.
pub fn assert_died_with(out: &Output, needles: &[&str]) -> String {
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(
        !out.status.success(),
        "the child should have died, but exited with {:?}; stderr:\n{stderr}",
        out.status
    );
    for needle in needles {
        assert!(
            stderr.contains(needle),
            "stderr of the child lacks {needle:?}:\n{stderr}"
        );
    }
    stderr
}

/// Number of lines of /proc/self/maps.
pub fn mappings() -> usize {
    std::fs::read_to_string("/proc/self/maps")
        .expect("read /proc/self/maps")
        .lines()
        .count()
}

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
