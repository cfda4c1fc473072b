//! Rust → C: a foreign call runs its shim on the scheduler stack.

use super::resume_callback_panic;
use crate::arch;
use crate::context::{Mode, ThreadCtx, ctx};
use crate::os;
use crate::shim_abi::ShimFn;
use crate::stack::CoroutineStack;
use crate::stack::strict::StrictFrame;
use crate::stats::bump;
use std::ffi::c_void;

/// The stack top a shim sees when no coroutine is running: it never moves.
static NO_TOP: usize = 0;

/// [`foreign_call`] of a shim with no name to report.
///
/// # Safety
///
/// As [`foreign_call`].
#[inline]
pub unsafe fn call_foreign<Frame>(shim: ShimFn, frame: *mut Frame) {
    // SAFETY: forwarded from the caller.
    unsafe { foreign_call("(unnamed)", shim, frame) }
}

/// Runs `shim(frame)` on the scheduler stack when called on a coroutine,
/// directly otherwise; then resumes a panic that a callback caught
/// meanwhile. `name` is the C function's, for the slow-call report.
///
/// # Safety
///
/// `frame` must point to the frame `shim` expects, valid for the whole call.
#[inline(always)]
pub unsafe fn foreign_call<Frame>(name: &'static str, shim: ShimFn, frame: *mut Frame) {
    let ctx = ctx();
    bump(&ctx.stats.foreign_calls);
    if ctx.slow_call_nanos.get() != 0 {
        // SAFETY: forwarded from the caller.
        return unsafe { foreign_call_timed(ctx, name, shim, frame) };
    }
    // SAFETY: forwarded from the caller.
    unsafe { run_foreign(ctx, shim, frame) }
}

/// [`foreign_call`] under the slow-call detector: kept out of line, so the
/// fast path stays small enough to inline into every trampoline.
///
/// # Safety
///
/// As [`foreign_call`].
#[cold]
#[inline(never)]
unsafe fn foreign_call_timed<Frame>(
    ctx: &ThreadCtx,
    name: &'static str,
    shim: ShimFn,
    frame: *mut Frame,
) {
    // SAFETY: forwarded from the caller.
    super::slow::timed(ctx, name, || unsafe { run_foreign(ctx, shim, frame) })
}

/// # Safety
///
/// As [`foreign_call`].
#[inline(always)]
unsafe fn run_foreign<Frame>(ctx: &ThreadCtx, shim: ShimFn, frame: *mut Frame) {
    if ctx.mode.get() == Mode::Coroutine {
        if ctx.strict.get() {
            // SAFETY: forwarded from the caller; the mode is `Coroutine`.
            unsafe { call_strict(ctx, shim, frame) }
        } else {
            // SAFETY: forwarded from the caller; the mode is `Coroutine`.
            unsafe { call_on_scheduler_stack(ctx, shim, frame.cast()) }
        }
    } else {
        // SAFETY: forwarded from the caller.
        unsafe { call_in_place(ctx, shim, frame.cast()) }
    }
    if ctx.panic_pending.get() {
        resume_callback_panic(ctx);
    }
}

/// The running coroutine's stack, in coroutine mode.
#[inline(always)]
fn running_stack(ctx: &ThreadCtx) -> &CoroutineStack {
    match ctx.stack() {
        Some(stack) => stack,
        None => unreachable!("coroutine mode without a coroutine stack"),
    }
}

/// # Safety
///
/// As [`call_foreign`]; `ctx.mode` is `Coroutine`.
#[inline]
unsafe fn call_on_scheduler_stack(ctx: &ThreadCtx, shim: ShimFn, frame: *mut c_void) {
    let stack = running_stack(ctx);
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

/// Stack a strict-mode call needs below its frame's pages: the switch and
/// the small frames of this module before C runs on the scheduler stack.
const STRICT_CALL_ROOM: usize = 2048;

/// The strict-mode path: the frame is copied onto pages of its own, just
/// below this call's Rust frames, for the length of the call, so strict
/// mode can protect exactly what the shim writes (see
/// [`crate::stack::strict`]); then it is copied back.
///
/// # Safety
///
/// As [`call_foreign`]; `ctx.mode` is `Coroutine`.
#[cold]
#[inline(never)]
unsafe fn call_strict<Frame>(ctx: &ThreadCtx, shim: ShimFn, frame: *mut Frame) {
    let page = os::page_size();
    let pages_len = size_of::<Frame>().max(1).next_multiple_of(page);
    // Room for the pages, their alignment and what runs below them; a
    // window without it moves first (without protection, as `maybe_grow`
    // always does).
    crate::maybe_grow(pages_len + page + STRICT_CALL_ROOM, || {
        let stack = running_stack(ctx);
        let high = (arch::stack_pointer() - CALL_FRAME_RESERVE) & !(page - 1);
        let low = high - pages_len;
        let run_call = |_| {
            let copy = low as *mut Frame;
            // SAFETY: `frame` is valid (the caller's contract) and the pages
            // are free and large enough.
            unsafe { copy.copy_from_nonoverlapping(frame, 1) };
            let strict_frame = StrictFrame::enter(stack, low, high);
            // SAFETY: as in `call_on_scheduler_stack`, with the copy as the
            // frame.
            unsafe { call_through_scheduler(ctx, stack, shim, copy.cast()) };
            drop(strict_frame);
            // SAFETY: the shim wrote the copy (through whichever alias);
            // reading it back through its own address is allowed.
            unsafe { frame.copy_from_nonoverlapping(copy, 1) };
        };
        // SAFETY: `[low, high)` and the room below it are free stack of the
        // current window (checked by `maybe_grow` above); the closure runs
        // below `low`, so nothing but the frame copy lives in the pages. It
        // does not unwind (the shim is C).
        unsafe { arch::on_stack(low, run_call) }
    });
}

/// Runs the shim on the scheduler stack through the typed switch, recording
/// the exact stack pointer it left on the coroutine for callbacks.
///
/// # Safety
///
/// As [`call_on_scheduler_stack`].
unsafe fn call_through_scheduler(
    ctx: &ThreadCtx,
    stack: &CoroutineStack,
    shim: ShimFn,
    frame: *mut c_void,
) {
    let saved_top = stack.current_top.get();
    ctx.mode.set(Mode::Foreign);
    let run_shim = |caller_sp| {
        // Callbacks of this call run below the frames that switched.
        stack.call_sp.set(caller_sp);
        // SAFETY: the trampoline's contract: `frame` fits `shim`.
        unsafe { shim(frame, stack.current_top.as_ptr()) };
    };
    // SAFETY: as in `call_on_scheduler_stack`; the closure does not unwind
    // (the shim is C).
    unsafe { arch::on_stack(ctx.sched_sp.get(), run_shim) };
    ctx.mode.set(Mode::Coroutine);
    stack.current_top.set(saved_top);
}

/// A foreign call not made from a coroutine window: the shim runs right
/// here, and callbacks under it run in place too.
///
/// # Safety
///
/// As [`call_foreign`].
#[inline]
unsafe fn call_in_place(ctx: &ThreadCtx, shim: ShimFn, frame: *mut c_void) {
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
unsafe fn call_detached(ctx: &ThreadCtx, shim: ShimFn, frame: *mut c_void) {
    let current = ctx.current.replace(std::ptr::null());
    ctx.mode.set(Mode::Plain);
    // SAFETY: forwarded from the caller.
    unsafe { shim(frame, &NO_TOP) };
    ctx.mode.set(Mode::Foreign);
    ctx.current.set(current);
}
