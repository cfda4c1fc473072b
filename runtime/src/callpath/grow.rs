//! `maybe_grow`: run Rust code in a larger window of the same stack.

use crate::arch;
use crate::context::{Mode, ThreadCtx, ctx};
use crate::scheduler::runtime;
use crate::stack::{CoroutineStack, SWITCH_SLACK};
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

struct GrowCall<F, R> {
    f: Option<F>,
    result: Option<std::thread::Result<R>>,
}

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
    let mut room = RoomCall {
        stack,
        depth,
        need: red_zone,
        result: None,
    };
    ctx.mode.set(Mode::Plain);
    // SAFETY: in coroutine mode the scheduler stack is free below `sched_sp`;
    // in plain mode nothing else starts there meanwhile. `run_room` catches
    // every panic.
    unsafe { arch::call_on_stack((&raw mut room).cast(), ctx.sched_sp.get(), run_room) };
    ctx.mode.set(Mode::Coroutine);
    if let Some(Err(payload)) = room.result {
        resume_unwind(payload);
    }
    // Windows are page-aligned aliases, so the offset keeps the alignment.
    let offset = stack.newest().top as isize - stack.window(index).top as isize;
    let saved_top = stack.current_top.replace(stack.newest().top);
    let mut call = GrowCall {
        f: Some(f),
        result: None,
    };
    // SAFETY: the newest window aliases the current one; at the same depth
    // `sp + offset` has `red_zone` bytes below it there, and everything below
    // `sp` is free in every window. `run_grown` catches every panic.
    unsafe { arch::call_with_stack_offset((&raw mut call).cast(), offset, run_grown::<F, R>) };
    stack.current_top.set(saved_top);
    match call.result {
        Some(Ok(value)) => value,
        Some(Err(payload)) => resume_unwind(payload),
        None => unreachable!("maybe_grow's closure did not run"),
    }
}

struct RoomCall<'a> {
    stack: &'a CoroutineStack,
    depth: usize,
    need: usize,
    result: Option<std::thread::Result<()>>,
}

/// Runs on the scheduler stack: makes the room `grow_and_run` asks for.
unsafe extern "C" fn run_room(arg: *mut u8, _arg2: *const usize, _caller_sp: usize) {
    // SAFETY: `arg` is the `RoomCall` in `grow_and_run`'s frame, alive and
    // unaliased until we return (and writable: maybe_grow never protects).
    let call = unsafe { &mut *arg.cast::<RoomCall<'_>>() };
    let (stack, depth, need) = (call.stack, call.depth, call.need);
    call.result = Some(catch_unwind(AssertUnwindSafe(|| {
        let Some(runtime) = runtime() else {
            unreachable!("coroutine mode without a runtime");
        };
        stack.room_at_depth(runtime.backing(), depth, need);
    })));
}

/// Runs in the larger window.
unsafe extern "C" fn run_grown<F: FnOnce() -> R, R>(
    arg: *mut u8,
    _arg2: *const usize,
    _caller_sp: usize,
) {
    // SAFETY: `arg` is the `GrowCall` in `grow_and_run`'s frame, reachable
    // (and writable: maybe_grow never protects) at its old address.
    let call = unsafe { &mut *arg.cast::<GrowCall<F, R>>() };
    if let Some(f) = call.f.take() {
        call.result = Some(catch_unwind(AssertUnwindSafe(f)));
    }
}
