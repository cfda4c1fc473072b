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

/// The raw function the switch calls: `f(arg, arg2, caller_sp)`.
///
/// `caller_sp` is the exact stack pointer of the code that switched:
/// everything below it on the old stack is free, everything at or above it
/// is live. A generated shim, declared with two parameters (see
/// [`ShimFn`](crate::shim_abi::ShimFn)), ignores it.
type SwitchFn = unsafe extern "C" fn(arg: *mut u8, arg2: *const usize, caller_sp: usize);

/// Runs `f(caller_sp)` with the stack pointer set to `new_sp` and returns
/// what it returned; `caller_sp` is the stack pointer of the code that
/// switched (everything below it on the old stack is free).
///
/// A panic escaping `f` aborts the process (no unwinding crosses the
/// switch): callers that must survive one catch it inside `f`.
///
/// # Safety
///
/// `new_sp` must be 16-byte aligned, the top of writable memory with room
/// for everything `f` does, not overlapping live data.
#[inline(always)]
pub(crate) unsafe fn on_stack<R, F: FnOnce(usize) -> R>(new_sp: usize, f: F) -> R {
    debug_assert_eq!(new_sp % STACK_ALIGN, 0);
    let mut call = OnStack::<F, R> {
        f: Some(f),
        result: None,
    };
    // SAFETY: forwarded from the caller; the switch preserves every
    // callee-saved register and the caller's stack pointer, and calls
    // `run_on_stack` with the three arguments of its type; `call` lives in
    // this frame until the switch returns.
    unsafe {
        switch_call(
            (&raw mut call).cast(),
            new_sp,
            run_on_stack::<F, R> as SwitchFn as *const (),
            core::ptr::null(),
        )
    };
    match call.result {
        Some(result) => result,
        None => unreachable!("the function run on another stack did not return"),
    }
}

/// What [`on_stack`] hands to the function it runs on the other stack.
struct OnStack<F, R> {
    f: Option<F>,
    result: Option<R>,
}

/// Runs on the other stack. `extern "C"`: a panic of `f` aborts here.
unsafe extern "C" fn run_on_stack<F: FnOnce(usize) -> R, R>(
    arg: *mut u8,
    _arg2: *const usize,
    caller_sp: usize,
) {
    // SAFETY: `arg` is the `OnStack` in `on_stack`'s frame, alive and not
    // otherwise accessed until the switch returns.
    let call = unsafe { &mut *arg.cast::<OnStack<F, R>>() };
    if let Some(f) = call.f.take() {
        call.result = Some(f(caller_sp));
    }
}

/// Calls the shim `shim(frame, top)` with the stack pointer set to `new_sp`,
/// then restores the stack pointer. The raw switch, without [`on_stack`]'s
/// closure: this is the foreign-call fast path. (The switch also passes a
/// third argument, which the two-parameter C function ignores.)
///
/// # Safety
///
/// As [`on_stack`]; `frame` and `top` must be what `shim` expects, and the
/// shim (C) does not unwind.
#[inline(always)]
pub(crate) unsafe fn call_shim_on_stack(
    frame: *mut core::ffi::c_void,
    new_sp: usize,
    shim: crate::shim_abi::ShimFn,
    top: *const usize,
) {
    debug_assert_eq!(new_sp % STACK_ALIGN, 0);
    // SAFETY: as in `on_stack`; the call is made by the assembly with the C
    // ABI, where a callee ignores arguments it does not declare.
    unsafe { switch_call(frame.cast(), new_sp, shim as *const (), top) }
}

/// Alignment of the stack pointer at a call, on both supported ABIs.
pub(crate) const STACK_ALIGN: usize = 16;

/// Bytes left between the aliased stack pointer and the first frame when
/// moving by an offset: room for the switch's own frame and the call.
const OFFSET_MARGIN: usize = 64;

/// Runs `f` with the stack pointer moved by `offset` bytes (the delta between
/// two windows aliasing the same stack) and returns what it returned.
///
/// # Safety
///
/// `offset` must be a multiple of 16, and the stack pointer moved by it the
/// same depth in a writable alias of the current stack, with room for `f`
/// below. As with [`on_stack`], a panic escaping `f` aborts.
#[inline(always)]
pub(crate) unsafe fn with_stack_offset<R>(offset: isize, f: impl FnOnce() -> R) -> R {
    let here = stack_pointer();
    // Below the alias of this frame and of the switch's own frame.
    let new_sp = (here.wrapping_add_signed(offset) - OFFSET_MARGIN) & !(STACK_ALIGN - 1);
    // SAFETY: forwarded from the caller; everything below `here` is free in
    // every alias, and `new_sp` is below the alias of `here`.
    unsafe { on_stack(new_sp, |_| f()) }
}
