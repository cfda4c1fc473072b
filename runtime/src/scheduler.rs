//! The scheduler: one per `run`, single-threaded, on its own stack.

use crate::arch::{self, STACK_ALIGN};
use crate::context::{Mode, bump, ctx};
use crate::error::{Error, ErrorKind};
use crate::join::{JoinHandle, JoinState};
use crate::stack::{CoroutineStack, FirstWindow, StackPool};
use corosensei::{Coroutine, CoroutineResult};
use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::os::fd::{AsRawFd, BorrowedFd, RawFd};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::rc::Rc;

/// Scheduler-stack bytes left to the frames of `Coroutine::resume` below the
/// point where the scheduler reads its stack pointer; foreign calls start
/// below them.
const RESUME_RESERVE: usize = 16 * 1024;

/// Why a coroutine suspended.
pub(crate) enum Suspend {
    /// `yield_now`: run again after the others.
    Yield,
    /// `join` on an unfinished coroutine: park in this slot of its
    /// [`JoinState`], which it empties into the ready queue when it finishes.
    Join(*const WaiterSlot),
}

pub(crate) type CoYielder = corosensei::Yielder<(), Suspend>;

/// Where a coroutine waiting in `join` is parked.
pub(crate) type WaiterSlot = Cell<Option<Box<Task>>>;

pub(crate) struct Task {
    coroutine: Coroutine<(), Suspend, (), FirstWindow>,
    stack: Box<CoroutineStack>,
}

/// The state of one `run`.
pub(crate) struct Runtime {
    pool: RefCell<StackPool>,
    backing: RawFd,
    ready: RefCell<VecDeque<Box<Task>>>,
    /// Coroutines started and not finished.
    live: Cell<usize>,
}

impl Runtime {
    /// A runtime whose coroutines take their stacks from `pool`.
    pub(crate) fn new(pool: StackPool) -> Self {
        Runtime {
            backing: pool.fd().as_raw_fd(),
            pool: RefCell::new(pool),
            ready: RefCell::new(VecDeque::new()),
            live: Cell::new(0),
        }
    }

    /// The backing object of this runtime's stacks.
    pub(crate) fn backing(&self) -> BorrowedFd<'_> {
        // SAFETY: the pool owns the descriptor and lives as long as `self`.
        unsafe { BorrowedFd::borrow_raw(self.backing) }
    }
}

/// The runtime of this thread, if `run` is active.
pub(crate) fn runtime() -> Option<&'static Runtime> {
    // SAFETY: `run` sets the pointer to a runtime that outlives every
    // coroutine and clears it before the runtime is dropped.
    unsafe { ctx().runtime.get().as_ref() }
}

/// The scheduler loop: resume ready coroutines until none is left.
pub(crate) fn schedule(runtime: &Runtime) {
    let ctx = ctx();
    loop {
        let Some(mut task) = runtime.ready.borrow_mut().pop_front() else {
            break;
        };
        // Foreign calls of the coroutine start below this frame and the
        // frames of `resume`.
        let sp = arch::stack_pointer();
        ctx.sched_sp.set((sp - RESUME_RESERVE) & !(STACK_ALIGN - 1));
        ctx.current.set(&*task.stack);
        ctx.mode.set(Mode::Coroutine);
        let result = task.coroutine.resume(());
        ctx.mode.set(Mode::Plain);
        ctx.current.set(std::ptr::null());
        match result {
            CoroutineResult::Yield(Suspend::Yield) => runtime.ready.borrow_mut().push_back(task),
            CoroutineResult::Yield(Suspend::Join(slot)) => {
                // SAFETY: the slot is in the `JoinState` of the handle the
                // suspended coroutine is joining; that coroutine keeps the
                // handle alive while it waits.
                unsafe { (*slot).set(Some(task)) }
            }
            CoroutineResult::Return(()) => {
                runtime.live.set(runtime.live.get() - 1);
                let Task { coroutine, stack } = *task;
                drop(coroutine);
                // SAFETY: the coroutine has returned and been dropped.
                unsafe { runtime.pool.borrow_mut().release(stack) };
            }
        }
    }
    let stuck = runtime.live.get();
    if stuck > 0 {
        // Coroutines that join each other in a cycle can never finish; they
        // stay parked in each other's join state and are leaked rather than
        // unwound under a dead scheduler.
        panic!("coffi: deadlock: {stuck} coroutine(s) wait in JoinHandle::join on each other");
    }
}

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

pub(crate) fn spawn_on<T: 'static>(
    runtime: &Runtime,
    f: impl FnOnce() -> T + 'static,
) -> Result<JoinHandle<T>, Error> {
    let stack = runtime.pool.borrow_mut().acquire()?;
    let state = Rc::new(JoinState {
        result: RefCell::new(None),
        finished: Cell::new(false),
        waiter: Cell::new(None),
    });
    let shared = Rc::clone(&state);
    let first = stack.first();
    let window = FirstWindow {
        base: first.top,
        limit: first.guard,
    };
    let coroutine = Coroutine::with_stack(window, move |yielder: &CoYielder, ()| {
        if let Some(stack) = ctx().stack() {
            stack.yielder.set(yielder);
        }
        let result = catch_unwind(AssertUnwindSafe(f));
        *shared.result.borrow_mut() = Some(result);
        shared.finished.set(true);
        if let Some(waiter) = shared.waiter.take() {
            if let Some(runtime) = self::runtime() {
                runtime.ready.borrow_mut().push_back(waiter);
            }
        }
        // With the handle gone, the result (or panic payload) is dropped
        // here; a panic in its `Drop` must not escape into the scheduler.
        if let Err(payload) = catch_unwind(AssertUnwindSafe(move || drop(shared))) {
            std::mem::forget(payload);
        }
    });
    runtime.live.set(runtime.live.get() + 1);
    runtime
        .ready
        .borrow_mut()
        .push_back(Box::new(Task { coroutine, stack }));
    bump(&ctx().spawned);
    Ok(JoinHandle { state })
}

/// Lets the other ready coroutines run, then continues.
///
/// Panics outside a coroutine, and inside an `#[export_callback]` called
/// from C (the C frames on the scheduler stack cannot be suspended).
///
/// ```
/// use std::{cell::RefCell, rc::Rc};
/// let log = Rc::new(RefCell::new(Vec::new()));
/// let l = log.clone();
/// coffi::run(move || {
///     let l2 = l.clone();
///     let h = coffi::spawn(move || l2.borrow_mut().push("other"));
///     l.borrow_mut().push("main before");
///     coffi::yield_now();
///     l.borrow_mut().push("main after");
///     h.join().unwrap();
/// });
/// assert_eq!(*log.borrow(), ["main before", "other", "main after"]);
/// ```
pub fn yield_now() {
    suspend(Suspend::Yield, "coffi::yield_now");
}

pub(crate) fn suspend(why: Suspend, what: &str) {
    let ctx = ctx();
    if ctx.mode.get() != Mode::Coroutine {
        panic!(
            "{what} called outside a coroutine: only code running inside coffi::run (the main \
             coroutine or one started with coffi::spawn) can suspend"
        );
    }
    if ctx.callback_depth.get() > 0 {
        panic!(
            "{what} called inside an #[export_callback] while C frames are live on the scheduler \
             stack: a coroutine cannot suspend until the foreign call that led here returns"
        );
    }
    let Some(stack) = ctx.stack() else {
        unreachable!("a coroutine runs without a stack");
    };
    let yielder = stack.yielder.get();
    // SAFETY: the yielder lives at the base of this coroutine's stack for as
    // long as the coroutine runs, and we are running on it.
    unsafe { (*yielder).suspend(why) };
}
