//! The scheduler: one per `run`, single-threaded, on its own stack.
//!
//! Coroutines are ready (in a queue, run in order) or parked (in a slab,
//! under the key [`wake`] takes). When every live coroutine is parked and
//! none is ready, nothing can wake them: a deadlock, which the scheduler
//! reports after unwinding them so their stacks go back to the pool.

use crate::arch::{self, STACK_ALIGN};
use crate::context::{Mode, ctx};
use crate::error::Error;
use crate::stack::{CoroutineStack, FirstWindow, StackPool};
use crate::stats::bump;
use corosensei::{Coroutine, CoroutineResult};
use slab::Slab;
use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::os::fd::{AsRawFd, BorrowedFd, RawFd};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::ptr;

/// Scheduler-stack bytes left to the frames of `Coroutine::resume` below the
/// point where the scheduler reads its stack pointer; foreign calls start
/// below them.
const RESUME_RESERVE: usize = 16 * 1024;

/// Where a parked coroutine's key is written, for whoever will [`wake`] it.
pub(crate) type ParkSlot = Cell<Option<usize>>;

/// Why a coroutine suspended.
pub(crate) enum Suspend {
    /// `yield_now`: run again after the others.
    Yield,
    /// Park until [`wake`] is called with the key the scheduler writes into
    /// the slot.
    Park(*const ParkSlot),
}

type CoYielder = corosensei::Yielder<(), Suspend>;

struct Task {
    coroutine: Coroutine<(), Suspend, (), FirstWindow>,
    stack: Box<CoroutineStack>,
    /// The coroutine's yielder, known once it has started.
    yielder: *const CoYielder,
}

/// The state of one `run`.
pub(crate) struct Runtime {
    pool: RefCell<StackPool>,
    backing: RawFd,
    ready: RefCell<VecDeque<Box<Task>>>,
    parked: RefCell<Slab<Box<Task>>>,
    /// Coroutines started and not finished.
    live: Cell<usize>,
    /// The running coroutine's yielder.
    yielder: Cell<*const CoYielder>,
    /// Set while deadlocked coroutines are unwound.
    tearing_down: Cell<bool>,
}

thread_local! {
    /// The runtime running on this thread (null outside `run`).
    static RUNTIME: Cell<*const Runtime> = const { Cell::new(ptr::null()) };
}

/// The runtime of this thread, if `run` is active.
pub(crate) fn runtime() -> Option<&'static Runtime> {
    // SAFETY: `Runtime::enter` sets the pointer to a runtime that outlives
    // every coroutine and clears it before the runtime is dropped.
    unsafe { RUNTIME.get().as_ref() }
}

/// Makes a runtime this thread's until dropped.
pub(crate) struct Entered<'a>(std::marker::PhantomData<&'a Runtime>);

impl Drop for Entered<'_> {
    fn drop(&mut self) {
        RUNTIME.set(ptr::null());
        let ctx = ctx();
        ctx.current.set(ptr::null());
        ctx.mode.set(Mode::Plain);
    }
}

impl Runtime {
    /// A runtime whose coroutines take their stacks from `pool`.
    pub(crate) fn new(pool: StackPool) -> Self {
        Runtime {
            backing: pool.fd().as_raw_fd(),
            pool: RefCell::new(pool),
            ready: RefCell::new(VecDeque::new()),
            parked: RefCell::new(Slab::new()),
            live: Cell::new(0),
            yielder: Cell::new(ptr::null()),
            tearing_down: Cell::new(false),
        }
    }

    /// Whether a runtime is active on this thread.
    pub(crate) fn is_active() -> bool {
        !RUNTIME.get().is_null()
    }

    /// Makes `self` the runtime of this thread until the guard is dropped.
    pub(crate) fn enter(&self) -> Entered<'_> {
        RUNTIME.set(self);
        Entered(std::marker::PhantomData)
    }

    /// The backing object of this runtime's stacks.
    pub(crate) fn backing(&self) -> BorrowedFd<'_> {
        // SAFETY: the pool owns the descriptor and lives as long as `self`.
        unsafe { BorrowedFd::borrow_raw(self.backing) }
    }

    /// Runs `f` on the stack pool; `None` if it is in use.
    pub(crate) fn with_pool<R>(&self, f: impl FnOnce(&StackPool) -> R) -> Option<R> {
        self.pool.try_borrow().ok().map(|pool| f(&pool))
    }

    /// Whether deadlocked coroutines are being unwound.
    pub(crate) fn tearing_down(&self) -> bool {
        self.tearing_down.get()
    }

    /// Starts a coroutine running `body`. It runs when the current coroutine
    /// yields, parks or finishes.
    pub(crate) fn spawn(&self, body: impl FnOnce() + 'static) -> Result<(), Error> {
        let stack = self.pool.borrow_mut().acquire()?;
        let first = stack.first();
        let window = FirstWindow {
            base: first.top,
            limit: first.guard,
        };
        // corosensei moves the closure onto the new stack through registers
        // and a small area; `spawn` boxes closures larger than that.
        let coroutine = Coroutine::with_stack(window, move |yielder: &CoYielder, ()| {
            if let Some(runtime) = runtime() {
                runtime.yielder.set(yielder);
            }
            body();
        });
        self.live.set(self.live.get() + 1);
        self.ready.borrow_mut().push_back(Box::new(Task {
            coroutine,
            stack,
            yielder: ptr::null(),
        }));
        bump(&ctx().stats.spawned);
        Ok(())
    }
}

/// Moves the coroutine parked under `key` to the back of the ready queue.
/// A key that is not parked (any more) is ignored.
pub(crate) fn wake(key: usize) {
    let Some(runtime) = runtime() else { return };
    let task = runtime.parked.borrow_mut().try_remove(key);
    if let Some(task) = task {
        runtime.ready.borrow_mut().push_back(task);
    }
}

/// Runs `f` as the coroutine on `stack` whose yielder is `yielder`: its
/// stack current, the thread in coroutine mode, foreign calls starting below
/// this frame.
fn as_running<R>(
    runtime: &Runtime,
    stack: &CoroutineStack,
    yielder: &mut *const CoYielder,
    f: impl FnOnce() -> R,
) -> R {
    let ctx = ctx();
    // Foreign calls of the coroutine start below this frame and the frames
    // of `resume`.
    let sp = arch::stack_pointer();
    ctx.sched_sp.set((sp - RESUME_RESERVE) & !(STACK_ALIGN - 1));
    ctx.current.set(stack);
    ctx.mode.set(Mode::Coroutine);
    runtime.yielder.set(*yielder);
    let result = f();
    *yielder = runtime.yielder.replace(ptr::null());
    ctx.mode.set(Mode::Plain);
    ctx.current.set(ptr::null());
    result
}

/// The scheduler loop: resume ready coroutines until none is left.
pub(crate) fn schedule(runtime: &Runtime) {
    let mut deadlocked = 0;
    loop {
        while let Some(task) = pop_ready(runtime) {
            resume(runtime, task);
        }
        if runtime.live.get() == 0 || runtime.tearing_down.get() {
            break;
        }
        // Every live coroutine is parked and nothing can wake them (a join
        // cycle): unwind them, as dropping their coroutines does, so their
        // destructors run and their stacks go back to the pool.
        deadlocked = runtime.live.get();
        runtime.tearing_down.set(true);
        let parked: Vec<Box<Task>> = runtime.parked.borrow_mut().drain().collect();
        for task in parked {
            finish(runtime, *task);
        }
    }
    if deadlocked > 0 {
        panic!(
            "coffi: deadlock: {deadlocked} coroutine(s) waited in JoinHandle::join on each other; \
             they were unwound"
        );
    }
}

fn pop_ready(runtime: &Runtime) -> Option<Box<Task>> {
    runtime.ready.borrow_mut().pop_front()
}

fn resume(runtime: &Runtime, mut task: Box<Task>) {
    let Task {
        coroutine,
        stack,
        yielder,
    } = &mut *task;
    match as_running(runtime, stack, yielder, || coroutine.resume(())) {
        CoroutineResult::Yield(Suspend::Yield) => runtime.ready.borrow_mut().push_back(task),
        CoroutineResult::Yield(Suspend::Park(slot)) => {
            let key = runtime.parked.borrow_mut().insert(task);
            // SAFETY: the slot is kept alive by the suspended coroutine,
            // which waits for whoever reads it to wake it.
            unsafe { (*slot).set(Some(key)) }
        }
        CoroutineResult::Return(()) => finish(runtime, *task),
    }
}

/// Drops a finished (or, when tearing down, parked) coroutine and gives its
/// stack back to the pool.
fn finish(runtime: &Runtime, task: Task) {
    let Task {
        coroutine,
        stack,
        mut yielder,
    } = task;
    // Dropping a suspended coroutine unwinds it, on its own stack.
    as_running(runtime, &stack, &mut yielder, || {
        if let Err(payload) = catch_unwind(AssertUnwindSafe(move || drop(coroutine))) {
            // A destructor panicked while unwinding: nothing can take it.
            std::mem::forget(payload);
        }
    });
    runtime.live.set(runtime.live.get() - 1);
    // SAFETY: the coroutine that ran on the stack has finished (or been
    // unwound) and been dropped.
    unsafe { runtime.pool.borrow_mut().release(stack) };
}

/// Suspends the running coroutine for `why`.
///
/// Panics, naming `what`, outside a coroutine and inside a callback that C
/// called (the C frames on the scheduler stack cannot be suspended).
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
    let Some(runtime) = runtime() else {
        unreachable!("a coroutine runs without a runtime");
    };
    if runtime.tearing_down.get() {
        panic!(
            "{what} called while a deadlocked coroutine is being unwound: nothing can wake it any \
             more"
        );
    }
    let yielder = runtime.yielder.get();
    // SAFETY: the yielder lives at the base of the running coroutine's stack
    // for as long as it runs, and we are running on it.
    unsafe { (*yielder).suspend(why) };
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
