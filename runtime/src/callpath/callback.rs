//! C → Rust: a callback body runs on the calling coroutine's window.

use super::stash_panic;
use crate::arch;
use crate::context::{Mode, ThreadCtx, bump, ctx};
use crate::scheduler::runtime;
use crate::stack::{CoroutineStack, SWITCH_SLACK};
use std::panic::{AssertUnwindSafe, catch_unwind};

/// A zero value C gets from a callback that panicked.
pub trait CallbackReturn: Sized {
    /// The zero value.
    fn zeroed() -> Self;
}

/// Runs `body` and catches its panic for the enclosing foreign call.
fn catch_callback<R: CallbackReturn>(name: &str, resumable: bool, body: impl FnOnce() -> R) -> R {
    match catch_unwind(AssertUnwindSafe(body)) {
        Ok(value) => value,
        Err(payload) => {
            stash_panic(name, resumable, payload);
            R::zeroed()
        }
    }
}

/// Runs the body of an exported callback with `need` bytes of stack.
///
/// Called from C inside a coroutine's foreign call, the body runs on the
/// coroutine's newest window below its live frames, after relocating to a
/// larger window when fewer than `need` bytes are free there. Called anywhere
/// else, it runs right where it is. A panic is caught; C gets
/// [`CallbackReturn::zeroed`] and the panic resumes when the foreign call
/// returns.
pub fn run_callback<R: CallbackReturn, F: FnOnce() -> R>(
    name: &'static str,
    need: usize,
    body: F,
) -> R {
    let ctx = ctx();
    bump(&ctx.callbacks);
    match ctx.mode.get() {
        // SAFETY: mode `Foreign` means we are in C called by a coroutine's
        // foreign call, on the scheduler stack.
        Mode::Foreign => unsafe { callback_on_coroutine(ctx, name, need, body) },
        // C called straight from coroutine code: a foreign call resumes the
        // panic only if this coroutine is inside a callback of one.
        Mode::Coroutine => catch_callback(name, ctx.callback_depth.get() > 0, || {
            crate::maybe_grow(need, body)
        }),
        Mode::Plain => catch_callback(name, ctx.plain_depth.get() > 0, body),
    }
}

/// Finds or makes `need` bytes of room below the frame at `call_sp`, in the
/// newest window (relocating to a new one if none has it).
#[cold]
fn make_room(stack: &CoroutineStack, call_sp: usize, need: usize) -> (usize, bool) {
    let (Some(runtime), Some((_, depth))) = (runtime(), stack.locate(call_sp)) else {
        unreachable!("a foreign call without a runtime, or outside the coroutine's windows");
    };
    stack.room_at_depth(runtime.backing(), depth, need)
}

struct CallbackCall<F, R> {
    name: &'static str,
    body: Option<F>,
    result: Option<R>,
}

/// # Safety
///
/// `ctx.mode` is `Foreign`.
unsafe fn callback_on_coroutine<R: CallbackReturn, F: FnOnce() -> R>(
    ctx: &ThreadCtx,
    name: &'static str,
    need: usize,
    body: F,
) -> R {
    let Some(stack) = ctx.stack() else {
        unreachable!("foreign mode without a coroutine");
    };
    let call_sp = stack.call_sp.get();
    let newest = stack.newest();
    let sp = if newest.contains(call_sp)
        && call_sp - newest.bottom >= need.saturating_add(SWITCH_SLACK)
    {
        // The common case: the newest window has the room right below the
        // trampoline's frames.
        call_sp & !(arch::STACK_ALIGN - 1)
    } else {
        let room = catch_unwind(AssertUnwindSafe(|| {
            let (sp, relocated) = make_room(stack, call_sp, need);
            if relocated && ctx.strict.get() {
                stack.protect_older();
            }
            sp
        }));
        match room {
            Ok(sp) => sp,
            Err(payload) => {
                stash_panic(name, true, payload);
                return R::zeroed();
            }
        }
    };
    // The shim of the enclosing call re-derives its frame by this top.
    stack.current_top.set(stack.newest().top);
    let saved_sched_sp = ctx.sched_sp.get();
    let saved_call_sp = stack.call_sp.get();
    ctx.callback_depth.set(ctx.callback_depth.get() + 1);
    let mut call = CallbackCall {
        name,
        body: Some(body),
        result: None,
    };
    ctx.mode.set(Mode::Coroutine);
    // SAFETY: `sp` is aligned and at the depth of the coroutine's innermost
    // live frame in its newest window, which has `need` bytes of room below
    // it; `run_body` catches every panic.
    unsafe { arch::call_on_stack((&raw mut call).cast(), sp, run_body::<F, R>) };
    ctx.mode.set(Mode::Foreign);
    ctx.callback_depth.set(ctx.callback_depth.get() - 1);
    ctx.sched_sp.set(saved_sched_sp);
    // Foreign calls of the body moved the cursor; C's next callback starts
    // below the same trampoline again.
    stack.call_sp.set(saved_call_sp);
    call.result.unwrap_or_else(R::zeroed)
}

/// Runs on the coroutine's window.
unsafe extern "C" fn run_body<F: FnOnce() -> R, R: CallbackReturn>(
    arg: *mut u8,
    _arg2: *const usize,
    caller_sp: usize,
) {
    // SAFETY: `arg` is the `CallbackCall` in `callback_on_coroutine`'s frame
    // on the scheduler stack, alive and unaliased until we return.
    let call = unsafe { &mut *arg.cast::<CallbackCall<F, R>>() };
    // Foreign calls made by the body go below the C frames that called us.
    ctx().sched_sp.set(caller_sp & !(arch::STACK_ALIGN - 1));
    if let Some(body) = call.body.take() {
        call.result = Some(catch_callback(call.name, true, body));
    }
}
