//! The scheduler: one per `run`, single-threaded, on its own stack.

use crate::arch::{self, STACK_ALIGN};
use crate::context::{Mode, bump, ctx};
use crate::error::{Error, ErrorKind};
use crate::fault;
use crate::os;
use crate::stack::{CoroutineStack, FirstWindow, StackPool};
use corosensei::{Coroutine, CoroutineResult};
use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::os::fd::{AsRawFd, BorrowedFd, RawFd};
use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};
use std::rc::Rc;
use std::thread;

/// Default first window of a coroutine stack.
///
/// ```
/// let len = coffi::run(|| coffi::stack_info().unwrap().window_len);
/// assert_eq!(len, coffi::DEFAULT_INITIAL_STACK);
/// ```
pub const DEFAULT_INITIAL_STACK: usize = 16 * 1024;
/// Default largest stack a coroutine may grow to.
///
/// ```
/// let limit = coffi::run(|| coffi::stack_info().unwrap().limit);
/// assert_eq!(limit, coffi::DEFAULT_MAX_STACK);
/// ```
pub const DEFAULT_MAX_STACK: usize = 8 * 1024 * 1024;
/// Default size of the scheduler stack, where all C code runs.
///
/// ```
/// assert_eq!(coffi::DEFAULT_SCHEDULER_STACK, 8 << 20);
/// ```
pub const DEFAULT_SCHEDULER_STACK: usize = 8 * 1024 * 1024;

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
type WaiterSlot = Cell<Option<Box<Task>>>;

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

/// Configures and starts a runtime; [`run`] is `Builder::new().run(f)` with
/// a panic on error.
///
/// ```
/// let answer = coffi::Builder::new()
///     .initial_stack(16 * 1024)
///     .max_stack(1 << 20)
///     .scheduler_stack(1 << 20)
///     .strict(true)
///     .run(|| 6 * 7)
///     .expect("runtime starts");
/// assert_eq!(answer, 42);
/// ```
#[derive(Clone, Debug)]
pub struct Builder {
    initial_stack: usize,
    max_stack: usize,
    scheduler_stack: usize,
    strict: bool,
}

impl Default for Builder {
    fn default() -> Self {
        Self::new()
    }
}

impl Builder {
    /// The defaults: 16 KiB first window, 8 MiB largest stack, 8 MiB
    /// scheduler stack, strict mode off.
    ///
    /// ```
    /// assert_eq!(coffi::Builder::new().run(|| 1).unwrap(), 1);
    /// ```
    pub fn new() -> Self {
        Builder {
            initial_stack: DEFAULT_INITIAL_STACK,
            max_stack: DEFAULT_MAX_STACK,
            scheduler_stack: DEFAULT_SCHEDULER_STACK,
            strict: false,
        }
    }

    /// Size of the first window of every coroutine stack (rounded up to pages;
    /// at least one page).
    ///
    /// ```
    /// let len = coffi::Builder::new()
    ///     .initial_stack(8192)
    ///     .run(|| coffi::stack_info().unwrap().window_len)
    ///     .unwrap();
    /// assert_eq!(len, 8192);
    /// ```
    pub fn initial_stack(mut self, bytes: usize) -> Self {
        self.initial_stack = bytes;
        self
    }

    /// Largest size a coroutine stack may grow to by relocation.
    ///
    /// ```
    /// let limit = coffi::Builder::new()
    ///     .max_stack(1 << 20)
    ///     .run(|| coffi::stack_info().unwrap().limit)
    ///     .unwrap();
    /// assert_eq!(limit, 1 << 20);
    /// ```
    pub fn max_stack(mut self, bytes: usize) -> Self {
        self.max_stack = bytes;
        self
    }

    /// Size of the scheduler stack, on which every C function runs.
    ///
    /// ```
    /// assert!(coffi::Builder::new().scheduler_stack(usize::MAX / 2).run(|| ()).is_err());
    /// ```
    pub fn scheduler_stack(mut self, bytes: usize) -> Self {
        self.scheduler_stack = bytes;
        self
    }

    /// Strict mode: after a stack moves during a foreign call, the old windows
    /// are read-only until control returns into their frames, so any write
    /// through a stale pointer faults at once with a message.
    ///
    /// ```
    /// coffi::Builder::new().strict(true).run(|| ()).unwrap();
    /// ```
    pub fn strict(mut self, on: bool) -> Self {
        self.strict = on;
        self
    }

    /// Runs `f` as the main coroutine of a new runtime on this thread, and
    /// every coroutine it spawns, until all have finished; returns what `f`
    /// returned.
    ///
    /// Fails only when the runtime cannot start (bad settings, or the
    /// scheduler stack or stack backing cannot be allocated). A panic in `f`
    /// propagates to the caller.
    ///
    /// ```
    /// let n = coffi::Builder::new().run(|| {
    ///     let h = coffi::spawn(|| 20);
    ///     h.join().unwrap() + 22
    /// });
    /// assert_eq!(n.unwrap(), 42);
    /// ```
    pub fn run<T: 'static>(self, f: impl FnOnce() -> T + 'static) -> Result<T, Error> {
        let page = os::page_size();
        let initial = os::round_to_page(self.initial_stack);
        let max = os::round_to_page(self.max_stack);
        if self.initial_stack == 0 || initial > max {
            return Err(Error::new(
                ErrorKind::Config,
                format!(
                    "coffi: initial_stack ({} bytes) must be at least 1 and at most max_stack ({} bytes)",
                    self.initial_stack, self.max_stack
                ),
            ));
        }
        if self.scheduler_stack < 64 * 1024 {
            return Err(Error::new(
                ErrorKind::Config,
                format!(
                    "coffi: scheduler_stack ({} bytes) must be at least 65536 bytes",
                    self.scheduler_stack
                ),
            ));
        }
        let ctx = ctx();
        if !ctx.runtime.get().is_null() {
            return Err(Error::new(
                ErrorKind::Nested,
                "coffi: coffi::run called inside a running coffi::run on the same thread; \
                 use coffi::spawn to start more coroutines",
            ));
        }
        fault::install();
        crate::panic_hook::install();
        let _alt_stack = fault::AltStack::ensure();
        let sched_len = os::round_to_page(self.scheduler_stack);
        let sched_base = os::reserve(page + sched_len)
            .map_err(|e| os::os_error("allocating the scheduler stack", e))?;
        let sched = SchedulerStack {
            guard: sched_base,
            bottom: sched_base + page,
            top: sched_base + page + sched_len,
        };
        // SAFETY: the range above the guard page was just reserved by us.
        if let Err(e) = unsafe { os::protect(sched.bottom, sched_len, true) } {
            // SAFETY: the reservation is ours and unused.
            unsafe { os::unmap(sched.guard, page + sched_len) };
            return Err(os::os_error("allocating the scheduler stack", e));
        }
        let pool = match StackPool::new(initial, max) {
            Ok(pool) => pool,
            Err(e) => {
                // SAFETY: the scheduler stack is unused.
                unsafe { os::unmap(sched.guard, page + sched_len) };
                return Err(e);
            }
        };
        let runtime = Runtime {
            backing: pool.fd().as_raw_fd(),
            pool: RefCell::new(pool),
            ready: RefCell::new(VecDeque::new()),
            live: Cell::new(0),
        };
        ctx.reset_stats();
        ctx.max_window.set(initial);
        ctx.strict.set(self.strict);
        ctx.sched_guard.set((sched.guard, sched.bottom));
        ctx.runtime.set(&runtime);
        let _active = ActiveRuntime {
            sched,
            len: page + sched_len,
        };

        let main = spawn_on(&runtime, f)?;
        // Drive every coroutine to completion on the scheduler stack. Panics
        // of the scheduler itself propagate through `on_stack`.
        corosensei::on_stack(sched, || schedule(&runtime));
        match main.take_result() {
            Some(Ok(value)) => Ok(value),
            Some(Err(payload)) => resume_unwind(payload),
            None => unreachable!("the scheduler returned before the main coroutine finished"),
        }
    }
}

/// Clears the thread's runtime pointer and frees the scheduler stack when
/// `run` ends, also by a panic.
struct ActiveRuntime {
    sched: SchedulerStack,
    len: usize,
}

impl Drop for ActiveRuntime {
    fn drop(&mut self) {
        let ctx = ctx();
        ctx.runtime.set(std::ptr::null());
        ctx.current.set(std::ptr::null());
        ctx.mode.set(Mode::Plain);
        ctx.sched_guard.set((0, 0));
        // SAFETY: `on_stack` has returned: nothing runs on the scheduler stack.
        unsafe { os::unmap(self.sched.guard, self.len) };
    }
}

#[derive(Clone, Copy)]
struct SchedulerStack {
    guard: usize,
    bottom: usize,
    top: usize,
}

// SAFETY: a mapped, writable range with a guard page below `bottom`, far
// larger than MIN_STACK_SIZE, unmapped only after `on_stack` returns.
unsafe impl corosensei::stack::Stack for SchedulerStack {
    fn base(&self) -> corosensei::stack::StackPointer {
        corosensei::stack::StackPointer::new(self.top).expect("stack top is not null")
    }

    fn limit(&self) -> corosensei::stack::StackPointer {
        corosensei::stack::StackPointer::new(self.guard).expect("stack guard is not null")
    }
}

/// The scheduler loop: resume ready coroutines until none is left.
fn schedule(runtime: &Runtime) {
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

/// The result slot shared by a coroutine and its [`JoinHandle`].
struct JoinState<T> {
    result: RefCell<Option<thread::Result<T>>>,
    finished: Cell<bool>,
    /// The coroutine waiting in `join`, if any.
    waiter: WaiterSlot,
}

/// An owned permission to wait for a coroutine and take its result.
///
/// ```
/// coffi::run(|| {
///     let h = coffi::spawn(|| "done");
///     assert_eq!(h.join().unwrap(), "done");
/// });
/// ```
pub struct JoinHandle<T> {
    state: Rc<JoinState<T>>,
}

impl<T> JoinHandle<T> {
    /// Waits for the coroutine to finish (letting others run meanwhile) and
    /// returns its result, or `Err` with the panic payload if it panicked.
    ///
    /// Panics when called outside a coroutine on a coroutine that has not
    /// finished, since nothing could then make it finish.
    ///
    /// ```
    /// coffi::run(|| {
    ///     let h = coffi::spawn(|| -> u32 { panic!("boom") });
    ///     let err = h.join().unwrap_err();
    ///     assert_eq!(err.downcast_ref::<&str>(), Some(&"boom"));
    /// });
    /// ```
    pub fn join(self) -> thread::Result<T> {
        loop {
            if let Some(result) = self.take_result() {
                return result;
            }
            if self.state.finished.get() {
                panic!("coffi: JoinHandle::join: the result was already taken");
            }
            suspend(Suspend::Join(&self.state.waiter), "JoinHandle::join");
        }
    }

    /// Whether the coroutine has finished.
    ///
    /// ```
    /// coffi::run(|| {
    ///     let h = coffi::spawn(|| ());
    ///     assert!(!h.is_finished());
    ///     coffi::yield_now();
    ///     assert!(h.is_finished());
    /// });
    /// ```
    pub fn is_finished(&self) -> bool {
        self.state.finished.get()
    }

    fn take_result(&self) -> Option<thread::Result<T>> {
        self.state.result.borrow_mut().take()
    }
}

impl<T> std::fmt::Debug for JoinHandle<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JoinHandle")
            .field("finished", &self.is_finished())
            .finish()
    }
}

/// Runs `f` on a new coroutine of this thread's runtime with the default
/// settings, and returns what it returned. [`Builder`] configures it.
///
/// Panics if the runtime cannot start; a panic in `f` propagates.
///
/// ```
/// let sum = coffi::run(|| {
///     let handles: Vec<_> = (0..10u64).map(|i| coffi::spawn(move || i * i)).collect();
///     handles.into_iter().map(|h| h.join().unwrap()).sum::<u64>()
/// });
/// assert_eq!(sum, 285);
/// ```
pub fn run<T: 'static>(f: impl FnOnce() -> T + 'static) -> T {
    match Builder::new().run(f) {
        Ok(value) => value,
        Err(err) => panic!("{err}"),
    }
}

/// Starts a coroutine on this thread's runtime. It runs when the current
/// coroutine yields, joins or finishes.
///
/// Panics outside [`run`], or when no stack can be allocated (see
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

/// Like [`spawn`], but returns an error when called outside [`run`] or when
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

fn spawn_on<T: 'static>(
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

fn suspend(why: Suspend, what: &str) {
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
