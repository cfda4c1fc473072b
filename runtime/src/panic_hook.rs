//! Panic messages of coroutines are printed on the scheduler stack.
//!
//! The panic hook runs on the panicking stack, and printing a backtrace
//! (`RUST_BACKTRACE=1`) needs far more than a 16 KiB coroutine window has.
//! Every `run` makes sure the installed hook is wrapped (a program, or a
//! crate such as color-eyre, may have set one since): on a coroutine, the
//! wrapped hook runs on the scheduler stack, below its live frames.

use crate::arch;
use crate::context::{Mode, ctx};
use std::panic::PanicHookInfo;
use std::sync::Mutex;

type Hook = Box<dyn Fn(&PanicHookInfo<'_>) + Sync + Send + 'static>;

/// Address of the installed wrapper (0 before the first `run`).
static WRAPPER: Mutex<usize> = Mutex::new(0);

fn address(hook: &Hook) -> usize {
    std::ptr::from_ref::<dyn Fn(&PanicHookInfo<'_>) + Sync + Send>(&**hook).cast::<()>() as usize
}

/// Wraps the current panic hook unless it is coffi's wrapper already. (Not
/// while this thread panics: the hook cannot be changed then; a later `run`
/// wraps it.)
pub(crate) fn install() {
    if std::thread::panicking() {
        return;
    }
    let mut wrapper = WRAPPER
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let current = std::panic::take_hook();
    if address(&current) == *wrapper {
        std::panic::set_hook(current);
        return;
    }
    let wrapped = wrap(current);
    *wrapper = address(&wrapped);
    std::panic::set_hook(wrapped);
}

/// The hook that runs `previous` on the scheduler stack when a coroutine
/// panics.
fn wrap(previous: Hook) -> Hook {
    Box::new(move |info| {
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
    })
}
