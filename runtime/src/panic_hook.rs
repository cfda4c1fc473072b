//! Panic messages of coroutines are printed on the scheduler stack.
//!
//! The panic hook runs on the panicking stack, and printing a backtrace
//! (`RUST_BACKTRACE=1`) needs far more than a 16 KiB coroutine window has.
//! `run` wraps the hook once per process: on a coroutine, the previous hook
//! runs on the scheduler stack, below its live frames.

use crate::arch;
use crate::context::{Mode, ctx};
use std::sync::Once;

static WRAP: Once = Once::new();

/// Wraps the current panic hook, once per process. (Not while this thread
/// panics: the hook cannot be changed then; a later `run` wraps it.)
pub(crate) fn install() {
    if std::thread::panicking() {
        return;
    }
    WRAP.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let ctx = ctx();
            if ctx.mode.get() == Mode::Coroutine && ctx.sched_sp.get() != 0 {
                // On the scheduler stack the hook is not on a coroutine: a
                // foreign call it makes runs in place, below its frames, and
                // it cannot suspend.
                let current = ctx.current.replace(std::ptr::null());
                ctx.mode.set(Mode::Plain);
                // SAFETY: in coroutine mode the scheduler stack is free below
                // `sched_sp` (its live frames are above it) and has room down
                // to its guard; while the hook runs there the thread is in
                // plain mode, so nothing else starts at `sched_sp`. A
                // panicking hook aborts, as a double panic would.
                unsafe { arch::on_stack(ctx.sched_sp.get(), |_| previous(info)) };
                ctx.mode.set(Mode::Coroutine);
                ctx.current.set(current);
            } else {
                previous(info);
            }
        }));
    });
}
