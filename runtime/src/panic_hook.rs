//! Panic messages of coroutines are printed on the scheduler stack.
//!
//! The panic hook runs on the panicking stack, and printing a backtrace
//! (`RUST_BACKTRACE=1`) needs far more than a 16 KiB coroutine window has.
//! `run` wraps the hook once per process: on a coroutine, the previous hook
//! runs on the scheduler stack, below its live frames.

use crate::arch;
use crate::context::{Mode, ctx};
use std::panic::PanicHookInfo;
use std::sync::Once;

type Hook = Box<dyn Fn(&PanicHookInfo<'_>) + Sync + Send + 'static>;

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
                let mut call = HookCall {
                    hook: &previous,
                    info,
                };
                // On the scheduler stack the hook is not on a coroutine: a
                // foreign call it makes runs in place, below its frames, and
                // it cannot suspend.
                let current = ctx.current.replace(std::ptr::null());
                ctx.mode.set(Mode::Plain);
                // SAFETY: in coroutine mode the scheduler stack is free below
                // `sched_sp` (its live frames are above it) and has room down
                // to its guard; while the hook runs there the thread is in
                // plain mode, so nothing else starts at `sched_sp`. `run_hook`
                // does not unwind (a panicking hook aborts, as a double panic
                // would).
                unsafe {
                    arch::call_on_stack((&raw mut call).cast(), ctx.sched_sp.get(), run_hook)
                };
                ctx.mode.set(Mode::Coroutine);
                ctx.current.set(current);
            } else {
                previous(info);
            }
        }));
    });
}

struct HookCall<'a, 'b> {
    hook: &'a Hook,
    info: &'a PanicHookInfo<'b>,
}

unsafe extern "C" fn run_hook(arg: *mut u8, _arg2: *const usize, _caller_sp: usize) {
    // SAFETY: `arg` is the `HookCall` in the hook's frame, alive until we return.
    let call = unsafe { &*arg.cast::<HookCall<'_, '_>>() };
    (call.hook)(call.info);
}
