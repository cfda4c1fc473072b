//! Starting coroutines: [`spawn`] and [`try_spawn`].

use crate::error::{Error, ErrorKind};
use crate::join::{JoinHandle, JoinState};
use crate::scheduler::{Runtime, runtime};
use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};
use std::rc::Rc;

/// Largest closure started in place on a new stack; larger ones are boxed
/// (corosensei hands the closure to the new stack by value, and refuses
/// more than 1 KiB).
const INLINE_CLOSURE_MAX: usize = 512;

/// Starts a coroutine on this thread's runtime. It runs when the current
/// coroutine yields, joins or finishes.
///
/// Panics outside [`run`](crate::run), or when no stack can be allocated (see
/// [`try_spawn`]).
///
/// ```
/// coffi::run(|| {
///     let h = coffi::spawn(|| 1 + 1);
///     assert_eq!(h.join().unwrap(), 2);
/// });
/// ```
pub fn spawn<T: 'static>(f: impl FnOnce() -> T + 'static) -> JoinHandle<T> {
    match try_spawn(f) {
        Ok(handle) => handle,
        Err(err) => panic!("{err}"),
    }
}

/// Like [`spawn`], but returns an error when called outside [`run`](crate::run) or when
/// the stack cannot be allocated; the error names the limit (for example
/// `vm.max_map_count`) and how to raise it.
///
/// ```
/// coffi::run(|| {
///     let h = coffi::try_spawn(|| 5).expect("a stack is available");
///     assert_eq!(h.join().unwrap(), 5);
/// });
/// ```
pub fn try_spawn<T: 'static>(f: impl FnOnce() -> T + 'static) -> Result<JoinHandle<T>, Error> {
    let Some(runtime) = runtime() else {
        return Err(Error::new(
            ErrorKind::OutsideRuntime,
            "coffi::spawn called outside coffi::run: coroutines need a runtime on this thread; \
             start one with coffi::run(|| ...) and spawn inside it",
        ));
    };
    spawn_on(runtime, f)
}

/// Starts `f` on `runtime`, boxing it when it is too large to start in place.
pub(crate) fn spawn_on<T: 'static, F: FnOnce() -> T + 'static>(
    runtime: &Runtime,
    f: F,
) -> Result<JoinHandle<T>, Error> {
    if size_of::<F>() > INLINE_CLOSURE_MAX {
        let boxed = Box::new(f);
        return spawn_inline(runtime, boxed);
    }
    spawn_inline(runtime, f)
}

fn spawn_inline<T: 'static>(
    runtime: &Runtime,
    f: impl FnOnce() -> T + 'static,
) -> Result<JoinHandle<T>, Error> {
    let state = Rc::new(JoinState::new());
    let shared = Rc::clone(&state);
    runtime.spawn(move || {
        match catch_unwind(AssertUnwindSafe(f)) {
            // The coroutine is being unwound after a deadlock: let the
            // unwinding reach the root of its stack.
            Err(payload) if runtime_tearing_down() => resume_unwind(payload),
            result => shared.finish(result),
        }
        // With the handle gone, the result (or panic payload) is dropped
        // here; a panic in its `Drop` must not escape into the scheduler.
        if let Err(payload) = catch_unwind(AssertUnwindSafe(move || drop(shared))) {
            std::mem::forget(payload);
        }
    })?;
    Ok(JoinHandle { state })
}

fn runtime_tearing_down() -> bool {
    runtime().is_some_and(Runtime::tearing_down)
}
