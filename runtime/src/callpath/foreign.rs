//! Rust → C: a foreign call runs its shim on the scheduler stack.

use super::resume_callback_panic;
use crate::arch;
use crate::context::{Mode, ThreadCtx, bump, ctx};
use crate::stack::CoroutineStack;
use std::ffi::c_void;

/// A generated C shim:
/// `void __coffi_shim_<name>_<hash>(void *frame, const volatile uintptr_t *top)`.
///
/// `top` points at the running coroutine's current window top (what
/// [`coffi_topofstack`](crate::coffi_topofstack) returns), which a callback
/// moves when it relocates the stack; the shim re-derives its frame by how
/// much it moved during the C call.
pub type Shim = unsafe extern "C" fn(frame: *mut c_void, top: *const usize);

/// The stack top a shim sees when no coroutine is running: it never moves.
static NO_TOP: usize = 0;

/// Runs `shim(frame)` on the scheduler stack when called on a coroutine,
/// directly otherwise; then resumes a panic that a callback caught meanwhile.
///
/// # Safety
///
/// `frame` must point to the frame `shim` expects, valid for the whole call.
#[inline]
pub unsafe fn call_foreign(shim: Shim, frame: *mut c_void) {
    let ctx = ctx();
    bump(&ctx.foreign_calls);
    if ctx.mode.get() == Mode::Coroutine {
        // SAFETY: forwarded from the caller; the mode is `Coroutine`.
        unsafe { call_on_scheduler_stack(ctx, shim, frame) }
    } else {
        // SAFETY: forwarded from the caller.
        unsafe { call_in_place(ctx, shim, frame) }
    }
    if ctx.panic_pending.get() {
        resume_callback_panic(ctx);
    }
}

/// What `run_shim` needs, kept in the caller's frame on the coroutine stack.
struct ForeignCall {
    shim: Shim,
    frame: *mut c_void,
    top: *const usize,
    stack: *const CoroutineStack,
    protect_mark: usize,
}

/// # Safety
///
/// As [`call_foreign`]; `ctx.mode` is `Coroutine`.
#[inline]
unsafe fn call_on_scheduler_stack(ctx: &ThreadCtx, shim: Shim, frame: *mut c_void) {
    let stack = ctx.current.get();
    if ctx.strict.get() {
        // SAFETY: forwarded.
        return unsafe { call_on_scheduler_stack_strict(ctx, stack, shim, frame) };
    }
    // SAFETY: in coroutine mode `current` is the running coroutine's stack.
    let stack = unsafe { &*stack };
    let saved_top = stack.current_top.get();
    // Callbacks of this call run below the trampoline's frames: below this
    // frame and the switch's return address and saved frame pointer.
    stack
        .call_sp
        .set((arch::stack_pointer() - CALL_FRAME_RESERVE) & !(arch::STACK_ALIGN - 1));
    ctx.mode.set(Mode::Foreign);
    // SAFETY: `sched_sp` is aligned and below every live frame of the
    // scheduler stack, which has room down to its guard page; the shim is C
    // and does not unwind.
    unsafe {
        arch::call_shim_on_stack(frame, ctx.sched_sp.get(), shim, stack.current_top.as_ptr())
    };
    ctx.mode.set(Mode::Coroutine);
    // Back in the trampoline's window: later shims measure from its top.
    stack.current_top.set(saved_top);
}

/// Stack below the trampoline's stack pointer that the switch itself uses
/// (return address and saved frame pointer), rounded up.
const CALL_FRAME_RESERVE: usize = 64;

/// The strict-mode path: as [`call_on_scheduler_stack`], but the shim runs
/// through `run_shim`, which lifts the protections made during the call
/// before control returns into the windows they cover.
///
/// # Safety
///
/// As [`call_on_scheduler_stack`]; `stack` is the running coroutine's.
#[cold]
#[inline(never)]
unsafe fn call_on_scheduler_stack_strict(
    ctx: &ThreadCtx,
    stack: *const CoroutineStack,
    shim: Shim,
    frame: *mut c_void,
) {
    // SAFETY: in coroutine mode `current` is the running coroutine's stack.
    let saved_top = unsafe { (*stack).current_top.get() };
    let call = ForeignCall {
        shim,
        frame,
        // SAFETY: as above.
        top: unsafe { (*stack).current_top.as_ptr() },
        stack,
        // SAFETY: as above.
        protect_mark: unsafe { (*stack).protected_count.get() },
    };
    ctx.mode.set(Mode::Foreign);
    // SAFETY: as in `call_on_scheduler_stack`; `run_shim` does not unwind.
    unsafe {
        arch::call_on_stack(
            (&raw const call).cast_mut().cast(),
            ctx.sched_sp.get(),
            run_shim,
        )
    };
    ctx.mode.set(Mode::Coroutine);
    // SAFETY: as above.
    unsafe { (*stack).current_top.set(saved_top) };
}

/// Runs on the scheduler stack.
unsafe extern "C" fn run_shim(arg: *mut u8, _arg2: *const usize, caller_sp: usize) {
    // SAFETY: `arg` is the `ForeignCall` of `call_on_scheduler_stack`, alive
    // until we return. It is only read: strict mode may have made its window
    // read-only by the time the shim returns.
    let call = unsafe { &*arg.cast::<ForeignCall>() };
    // SAFETY: the running coroutine's stack, boxed for its whole life.
    let stack = unsafe { &*call.stack };
    // Callbacks of this call run below the trampoline's frames.
    stack.call_sp.set(caller_sp);
    // SAFETY: the trampoline's contract: `frame` fits `shim`.
    unsafe { (call.shim)(call.frame, call.top) };
    // Strict mode: control is about to return into frames that live in the
    // windows protected during this call.
    if stack.protected_count.get() > call.protect_mark {
        stack.unprotect_to(call.protect_mark);
    }
}

/// A foreign call not made from a coroutine window: the shim runs right
/// here, and callbacks under it run in place too.
///
/// # Safety
///
/// As [`call_foreign`].
#[inline]
unsafe fn call_in_place(ctx: &ThreadCtx, shim: Shim, frame: *mut c_void) {
    ctx.plain_depth.set(ctx.plain_depth.get() + 1);
    if ctx.mode.get() == Mode::Foreign {
        // SAFETY: forwarded from the caller.
        unsafe { call_detached(ctx, shim, frame) }
    } else {
        // SAFETY: forwarded from the caller.
        unsafe { shim(frame, &NO_TOP) }
    }
    ctx.plain_depth.set(ctx.plain_depth.get() - 1);
}

/// A foreign call made by Rust code that C called on the scheduler stack (not
/// a callback): it is not on a coroutine, so the shim runs right here, and
/// callbacks under it run directly too.
///
/// # Safety
///
/// As [`call_foreign`].
#[cold]
unsafe fn call_detached(ctx: &ThreadCtx, shim: Shim, frame: *mut c_void) {
    let current = ctx.current.replace(std::ptr::null());
    ctx.mode.set(Mode::Plain);
    // SAFETY: forwarded from the caller.
    unsafe { shim(frame, &NO_TOP) };
    ctx.mode.set(Mode::Foreign);
    ctx.current.set(current);
}
