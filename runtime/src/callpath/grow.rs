//! `maybe_grow`: run Rust code in a larger window of the same stack.

use crate::arch;
use crate::context::{Mode, ThreadCtx, ctx};
use crate::scheduler::runtime;
use crate::stack::SWITCH_SLACK;
use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};

/// Runs `f` with at least `red_zone` bytes of stack.
///
/// On a coroutine, if fewer than `red_zone` bytes are free below the stack
/// pointer in the current window, `f` runs in a larger window of the same
/// stack (mapped now if none is large enough) at the same depth: nothing is
/// copied and every pointer to the caller's locals stays valid, so `f` may
/// borrow them. Outside a coroutine `f` runs in place.
///
/// Panics when the stack would exceed `Builder::max_stack`.
///
/// ```
/// fn depth(n: u64) -> u64 {
///     let pad = std::hint::black_box([0u8; 256]);
///     if n == 0 {
///         return u64::from(pad[0]);
///     }
///     coffi::maybe_grow(4096, || depth(n - 1)) + 1
/// }
/// let levels = coffi::Builder::new()
///     .max_stack(64 << 20)
///     .run(|| depth(2000))
///     .unwrap();
/// assert_eq!(levels, 2000);
/// assert!(coffi::stats().relocations > 0);
/// ```
#[inline]
pub fn maybe_grow<R>(red_zone: usize, f: impl FnOnce() -> R) -> R {
    let ctx = ctx();
    if ctx.mode.get() != Mode::Coroutine {
        return f();
    }
    let Some(stack) = ctx.stack() else {
        return f();
    };
    let sp = arch::stack_pointer();
    // Room for the frames of `grow_and_run` too, should the next call grow.
    let red_zone = red_zone.max(MIN_RED_ZONE);
    match stack.locate(sp) {
        Some((index, depth))
            if stack.window(index).len() - depth >= red_zone.saturating_add(SWITCH_SLACK) =>
        {
            f()
        }
        _ => grow_and_run(ctx, red_zone, f),
    }
}

/// The least room `maybe_grow` leaves: enough for the frames that move to a
/// larger window when a nested `maybe_grow` needs to.
const MIN_RED_ZONE: usize = 4096;

#[inline(never)]
fn grow_and_run<R, F: FnOnce() -> R>(ctx: &ThreadCtx, red_zone: usize, f: F) -> R {
    let Some(stack) = ctx.stack() else {
        unreachable!("coroutine mode without a coroutine stack");
    };
    // Read the stack pointer in the frame that switches: the switch happens
    // at this same stack pointer.
    let sp = arch::stack_pointer();
    let Some((index, depth)) = stack.locate(sp) else {
        panic!("coffi::maybe_grow: the stack pointer is in none of the coroutine's windows");
    };
    // The relocation itself (a mapping, bookkeeping, maybe a panic naming
    // the limit) runs on the scheduler stack: the current window may have
    // too little room left for it.
    ctx.mode.set(Mode::Plain);
    // SAFETY: in coroutine mode the scheduler stack is free below `sched_sp`;
    // in plain mode nothing else starts there meanwhile. Every panic is
    // caught inside.
    let room = unsafe {
        arch::on_stack(ctx.sched_sp.get(), |_| {
            catch_unwind(AssertUnwindSafe(|| {
                let Some(runtime) = runtime() else {
                    unreachable!("coroutine mode without a runtime");
                };
                let room = stack.room_at_depth(runtime.backing(), depth, red_zone);
                if let Some(len) = room.relocated_to {
                    ctx.stats.relocated(len);
                }
            }))
        })
    };
    ctx.mode.set(Mode::Coroutine);
    if let Err(payload) = room {
        resume_unwind(payload);
    }
    // Windows are page-aligned aliases, so the offset keeps the alignment.
    let offset = stack.newest().top as isize - stack.window(index).top as isize;
    // `f` starts just below this depth in the newest window.
    crate::valgrind::switching_below_alias(stack.newest().top - depth);
    let saved_top = stack.current_top.replace(stack.newest().top);
    // SAFETY: the newest window aliases the current one; at the same depth
    // the moved stack pointer has `red_zone` bytes below it there, and
    // everything below `sp` is free in every window. Every panic is caught
    // inside.
    let result = unsafe { arch::with_stack_offset(offset, || catch_unwind(AssertUnwindSafe(f))) };
    stack.current_top.set(saved_top);
    match result {
        Ok(value) => value,
        Err(payload) => resume_unwind(payload),
    }
}
