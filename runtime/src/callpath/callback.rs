//! C → Rust: a callback body runs on the calling coroutine's window.

use super::stash_panic;
use crate::arch;
use crate::context::{Mode, ThreadCtx, ctx};
use crate::scheduler::runtime;
use crate::stack::{CoroutineStack, SWITCH_SLACK, strict};
use crate::stats::bump;
use std::panic::{AssertUnwindSafe, catch_unwind};

/// A zero value C gets from a callback that panicked.
#[diagnostic::on_unimplemented(
    message = "`{Self}` has no zero value to give C when the callback's body panics",
    label = "no zero value",
    note = "give the value C gets then: `#[export_callback(on_panic = EXPR)]`"
)]
pub trait CallbackReturn: Sized {
    /// The zero value.
    fn zeroed() -> Self;
}

/// Runs `body` and catches its panic for the enclosing foreign call; C
/// then gets `on_panic()`.
fn catch_callback<R>(
    name: &str,
    resumable: bool,
    on_panic: impl FnOnce() -> R,
    body: impl FnOnce() -> R,
) -> R {
    match catch_unwind(AssertUnwindSafe(body)) {
        Ok(value) => value,
        Err(payload) => {
            stash_panic(name, resumable, payload);
            on_panic()
        }
    }
}

/// Runs the body of an exported callback with `need` bytes of stack; C
/// gets [`CallbackReturn::zeroed`] if it panics. See [`callback`].
pub fn run_callback<R: CallbackReturn, F: FnOnce() -> R>(
    name: &'static str,
    need: usize,
    body: F,
) -> R {
    callback(name, need, R::zeroed, body)
}

/// Runs the body of an exported callback with `need` bytes of stack.
///
/// Called from C inside a coroutine's foreign call, the body runs on the
/// coroutine's newest window below its live frames, after relocating to a
/// larger window when fewer than `need` bytes are free there. Called from C
/// inside a blocking foreign call (on a helper thread), it runs on the
/// coroutine's own thread, as part of the coroutine. Called anywhere else,
/// it runs right where it is. A panic is caught; C gets `on_panic()`, the
/// panic resumes when the foreign call returns, and until then every later
/// callback under that call returns `on_panic()` at once, without running
/// its body, so C finishes quickly.
pub fn callback<R, P: FnOnce() -> R, F: FnOnce() -> R>(
    name: &'static str,
    need: usize,
    on_panic: P,
    body: F,
) -> R {
    let ctx = ctx();
    if ctx.panic_pending.get() {
        return on_panic();
    }
    bump(&ctx.stats.callbacks);
    match ctx.mode.get() {
        // SAFETY: mode `Foreign` means we are in C called by a coroutine's
        // foreign call, on the scheduler stack.
        Mode::Foreign => unsafe { callback_on_coroutine(ctx, name, need, on_panic, body) },
        // C called straight from coroutine code: a foreign call resumes the
        // panic only if this coroutine is inside a callback of one.
        Mode::Coroutine => catch_callback(name, ctx.callback_depth.get() > 0, on_panic, || {
            crate::maybe_grow(need, body)
        }),
        Mode::Plain => match super::blocking::current_job() {
            Some(job) => job.callback_at_home(need, on_panic, body),
            None => catch_callback(name, ctx.plain_depth.get() > 0, on_panic, body),
        },
    }
}

/// Finds or makes `need` bytes of room below the frame at `call_sp`, in the
/// newest window (relocating to a new one if none has it; in strict mode,
/// protecting what a stale shim could write); returns where to run.
#[cold]
fn make_room(ctx: &ThreadCtx, stack: &CoroutineStack, call_sp: usize, need: usize) -> usize {
    let (Some(runtime), Some((_, depth))) = (runtime(), stack.locate(call_sp)) else {
        unreachable!("a foreign call without a runtime, or outside the coroutine's windows");
    };
    let room = stack.room_at_depth(runtime.backing(), depth, need);
    if let Some(len) = room.relocated_to {
        ctx.stats.relocated(len);
        if ctx.strict.get() {
            strict::protect_after_relocation(stack);
        }
    }
    room.sp
}

/// The callback runs at `sp` in the newest window, below the trampoline's
/// frames at `call_sp` in an older one: tells valgrind's memcheck, which
/// cannot see that the windows alias the same pages (see
/// [`crate::valgrind::entering_alias`]). Not on the common path, where the
/// callback runs in the trampoline's own window.
fn tell_valgrind_about_aliases(stack: &CoroutineStack, call_sp: usize, sp: usize) {
    if !crate::valgrind::running_on_valgrind() {
        return;
    }
    let newest = stack.newest();
    if let Some((index, _)) = stack.locate(call_sp)
        && !newest.contains(call_sp)
    {
        crate::valgrind::entering_alias(sp, newest.top);
        // The trampoline reads back, through its own window, what the shim
        // writes through this one.
        crate::valgrind::written_through_alias(call_sp, stack.window(index).top);
    }
}

/// # Safety
///
/// `ctx.mode` is `Foreign`.
unsafe fn callback_on_coroutine<R, P: FnOnce() -> R, F: FnOnce() -> R>(
    ctx: &ThreadCtx,
    name: &'static str,
    need: usize,
    on_panic: P,
    body: F,
) -> R {
    let Some(stack) = ctx.stack() else {
        unreachable!("foreign mode without a coroutine");
    };
    let call_sp = stack.call_sp.get();
    let newest = stack.newest();
    // Where the body runs, and the top of the window it runs in (the
    // newest, after any relocation).
    let (sp, top) = if newest.contains(call_sp)
        && call_sp - newest.bottom >= need.saturating_add(SWITCH_SLACK)
    {
        // The common case: the newest window has the room right below the
        // trampoline's frames.
        (call_sp & !(arch::STACK_ALIGN - 1), newest.top)
    } else {
        let room = catch_unwind(AssertUnwindSafe(|| make_room(ctx, stack, call_sp, need)));
        match room {
            Ok(sp) => {
                tell_valgrind_about_aliases(stack, call_sp, sp);
                (sp, stack.newest().top)
            }
            Err(payload) => {
                // A relocation may have happened (and strict mode protected
                // part of the old aliases) before the failure: the shim must
                // re-derive its frame through the newest window all the same.
                stack.current_top.set(stack.newest().top);
                stash_panic(name, true, payload);
                return on_panic();
            }
        }
    };
    // The shim of the enclosing call re-derives its frame by this top.
    stack.current_top.set(top);
    let saved_sched_sp = ctx.sched_sp.get();
    let saved_call_sp = stack.call_sp.get();
    ctx.callback_depth.set(ctx.callback_depth.get() + 1);
    ctx.mode.set(Mode::Coroutine);
    // SAFETY: `sp` is aligned and at the depth of the coroutine's innermost
    // live frame in its newest window, which has `need` bytes of room below
    // it; `catch_callback` catches every panic of the body.
    let result = unsafe {
        arch::on_stack(sp, |caller_sp| {
            // Foreign calls made by the body go below the C frames that
            // called us.
            ctx.sched_sp.set(caller_sp & !(arch::STACK_ALIGN - 1));
            catch_callback(name, true, on_panic, body)
        })
    };
    ctx.mode.set(Mode::Foreign);
    ctx.callback_depth.set(ctx.callback_depth.get() - 1);
    ctx.sched_sp.set(saved_sched_sp);
    // Foreign calls of the body moved the cursor; C's next callback starts
    // below the same trampoline again.
    stack.call_sp.set(saved_call_sp);
    // Foreign calls of the body restored the top they started from; a
    // relocation under them moved the stack further. The shim that called
    // us re-derives its frame through the newest window (strict mode
    // protects every older alias of live frames).
    stack.current_top.set(stack.newest().top);
    result
}
