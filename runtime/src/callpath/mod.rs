//! The call paths: Rust → C on the scheduler stack, C → Rust back on the
//! coroutine's window, and `maybe_grow`.
//!
//! Cursors: a switch onto the scheduler stack starts at `ctx.sched_sp`, below
//! every live frame there; a switch back onto the coroutine starts at the
//! depth of `stack.call_sp` (the coroutine's stack pointer at its innermost
//! foreign call) in the newest window. Each switch records the exact stack
//! pointer it left and restores the cursor it changed when it returns, so
//! calls nest to any depth.

mod blocking;
mod callback;
mod foreign;
mod grow;
mod slow;

pub(crate) use blocking::Job;
pub use blocking::blocking_call;
pub use callback::{CallbackReturn, callback, run_callback};
pub use foreign::{call_foreign, foreign_call};
pub use grow::maybe_grow;

use crate::context::{ThreadCtx, ctx};
use std::any::Any;
use std::cell::Cell;
use std::panic::resume_unwind;

thread_local! {
    /// The payload of a callback panic, waiting for its foreign call to return.
    static PENDING_PANIC: Cell<Option<Box<dyn Any + Send>>> = const { Cell::new(None) };
}

#[cold]
pub(crate) fn resume_callback_panic(ctx: &ThreadCtx) -> ! {
    ctx.panic_pending.set(false);
    match PENDING_PANIC.take() {
        Some(payload) => resume_unwind(payload),
        None => unreachable!("a pending callback panic without payload"),
    }
}

/// Keeps a callback's panic for the foreign call that led to it, or aborts
/// when no foreign call is live to resume it (`resumable == false`).
#[cold]
pub(crate) fn stash_panic(name: &str, resumable: bool, payload: Box<dyn Any + Send>) {
    let ctx = ctx();
    if !resumable {
        eprintln!(
            "coffi: callback `{name}` panicked, and no #[foreign_call] is under way on this \
             thread to carry the panic back: the callback was called directly (from Rust code, \
             or from C that coffi did not call, such as a thread C created). A panic cannot \
             unwind out of an extern \"C\" fn; aborting. Catch it in the body \
             (std::panic::catch_unwind), or call the callback only from C reached through a \
             #[foreign_call]"
        );
        std::process::abort();
    }
    if !ctx.panic_pending.replace(true) {
        PENDING_PANIC.set(Some(payload));
    }
}
