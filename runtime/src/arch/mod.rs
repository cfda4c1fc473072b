//! The stack switch coffi needs, one module per architecture
//! (like corosensei's `arch/`).
//!
//! One switch runs a function on another stack and comes back, like Go's
//! `asmcgocall`: it saves the stack pointer in a callee-saved register, loads
//! the new one, calls, and restores; its CFI lets backtraces cross it. No
//! unwinding crosses it: every function run through it is `extern "C"` and
//! catches panics itself.

#[cfg(target_arch = "x86_64")]
mod x86_64;
#[cfg(target_arch = "x86_64")]
pub(crate) use self::x86_64::*;

#[cfg(target_arch = "aarch64")]
mod aarch64;
#[cfg(target_arch = "aarch64")]
pub(crate) use self::aarch64::*;

#[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
compile_error!("coffi supports x86_64 and aarch64 Linux");

/// A function run on another stack: `f(arg, arg2, caller_sp)`.
///
/// `arg2` is null (a generated shim gets its stack-top pointer there,
/// through [`call_shim_on_stack`]). `caller_sp` is the exact stack pointer of the code
/// that switched: everything below it on the old stack is free, everything
/// at or above it is live. A shim, declared with two parameters, ignores it.
pub(crate) type OnStackFn =
    unsafe extern "C" fn(arg: *mut u8, arg2: *const usize, caller_sp: usize);

/// Calls `f(arg, null, caller_sp)` with the stack pointer set to `new_sp`,
/// then restores the stack pointer.
///
/// # Safety
///
/// `new_sp` must be 16-byte aligned, the top of writable memory with room for
/// everything `f` does, not overlapping live data. `f` must not unwind.
#[inline(always)]
pub(crate) unsafe fn call_on_stack(arg: *mut u8, new_sp: usize, f: OnStackFn) {
    debug_assert_eq!(new_sp % STACK_ALIGN, 0);
    // SAFETY: forwarded from the caller; the switch preserves every
    // callee-saved register and the caller's stack pointer, and calls `f`
    // with the three arguments of its type.
    unsafe { switch_call(arg, new_sp, f as *const (), core::ptr::null()) }
}

/// Calls the shim `shim(frame, top)` with the stack pointer set to `new_sp`,
/// then restores the stack pointer. (The switch also passes a third
/// argument, which the two-parameter C function ignores.)
///
/// # Safety
///
/// As [`call_on_stack`]; `frame` and `top` must be what `shim` expects.
#[inline(always)]
pub(crate) unsafe fn call_shim_on_stack(
    frame: *mut core::ffi::c_void,
    new_sp: usize,
    shim: unsafe extern "C" fn(*mut core::ffi::c_void, *const usize),
    top: *const usize,
) {
    debug_assert_eq!(new_sp % STACK_ALIGN, 0);
    // SAFETY: as in `call_on_stack`; the call is made by the assembly with
    // the C ABI, where a callee ignores arguments it does not declare.
    unsafe { switch_call(frame.cast(), new_sp, shim as *const (), top) }
}

/// Alignment of the stack pointer at a call, on both supported ABIs.
pub(crate) const STACK_ALIGN: usize = 16;

/// Bytes left between the aliased stack pointer and the first frame when
/// moving by an offset: room for the switch's own frame and the call.
const OFFSET_MARGIN: usize = 64;

/// Calls `f(arg, caller_sp)` with the stack pointer moved by `offset` bytes
/// (the delta between two windows aliasing the same stack), then restores it.
///
/// # Safety
///
/// `offset` must be a multiple of 16, and the stack pointer moved by it the
/// same depth in a writable alias of the current stack, with room for `f`
/// below. `f` must not unwind.
#[inline(always)]
pub(crate) unsafe fn call_with_stack_offset(arg: *mut u8, offset: isize, f: OnStackFn) {
    let here = stack_pointer();
    // Below the alias of this frame and of the switch's own frame.
    let new_sp = (here.wrapping_add_signed(offset) - OFFSET_MARGIN) & !(STACK_ALIGN - 1);
    // SAFETY: forwarded from the caller; everything below `here` is free in
    // every alias, and `new_sp` is below the alias of `here`.
    unsafe { call_on_stack(arg, new_sp, f) }
}
