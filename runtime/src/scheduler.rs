//! The scheduler: one per `run`, single-threaded, on its own stack.
//!
//! Every coroutine has a key in a slab for its whole life. It is running,
//! ready (its key in the ready queue) or parked: in `JoinHandle::join`, or
//! on a future in [`wait`](crate::wait). Wakers, which may be called from
//! any thread, send the key through a channel that the scheduler drains
//! between coroutines; when no coroutine is ready it sleeps in async-io's
//! reactor (`block_on`) until a wake arrives, so I/O and timer events wake
//! it directly. When every live coroutine is parked in a join, nothing can
//! wake them: a deadlock, which the scheduler reports after unwinding them
//! so their stacks go back to the pool.

use crate::arch::{self, STACK_ALIGN};
use crate::blocking_pool::BlockingPool;
use crate::context::{Mode, ctx};
use crate::error::Error;
use crate::stack::compact::switch_depth::below_recorded_sp;
use crate::stack::{CoroutineStack, FirstWindow, StackPool};
use crate::stats::bump;
use corosensei::{Coroutine, CoroutineResult};
use slab::Slab;
use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::os::fd::{AsRawFd, BorrowedFd, RawFd};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::ptr;
use std::sync::Arc;
use std::task::{Poll, Wake, Waker};
use std::time::{Duration, Instant};

/// Scheduler-stack bytes left to the frames of `Coroutine::resume` below the
/// point where the scheduler reads its stack pointer; foreign calls start
/// below them.
const RESUME_RESERVE: usize = 16 * 1024;

/// How long the scheduler spins for a helper's wake before sleeping in the
/// reactor, while a blocking call is in flight: a futex wake-up costs more
/// than most short C calls take.
const SPIN_FOR_WAKE: std::time::Duration = std::time::Duration::from_micros(50);

/// What a parked coroutine waits for.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Parked {
    /// Another coroutine of this runtime to finish.
    Join,
    /// A future's waker.
    Future,
}

/// Why a coroutine suspended.
pub(crate) enum Suspend {
    /// `yield_now`: run again after the others.
    Yield,
    /// Park until [`wake`] is called with its key.
    Park(Parked),
}

type CoYielder = corosensei::Yielder<(), Suspend>;

struct Task {
    coroutine: Coroutine<(), Suspend, (), FirstWindow>,
    stack: Box<CoroutineStack>,
    /// The coroutine's yielder, known once it has started.
    yielder: *const CoYielder,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum State {
    Ready,
    Running,
    Parked(Parked),
}

/// A coroutine's place in the slab: its task (taken out while it runs) and
/// its state. The task is held inline, not boxed: nothing keeps its
/// address (the stack it runs on is boxed on its own), so spawning costs
/// one allocation less.
struct Slot {
    task: Option<Task>,
    state: State,
    /// Times the coroutine parked, to tell whether it parked again since
    /// its entry in the idle queue was made (only counted when the runtime
    /// compacts idle stacks).
    parkings: u64,
    /// Whether the idle queue holds an entry for the coroutine: one at a
    /// time, however often it parks.
    queued: bool,
}

/// A coroutine that parked, in about the order they parked: the
/// candidates for idle-stack compaction. A coroutine woken and parked again
/// before its entry comes due goes to the back, so it is compacted between
/// one and two thresholds after its last parking.
struct IdleEntry {
    key: usize,
    /// The parking this entry is for (`Slot::parkings` then).
    parking: u64,
    since: Instant,
}

/// Resumes between two looks for stacks idle long enough to compact.
const COMPACT_EVERY: u64 = 256;

/// Stacks compacted at most per look, so that ready coroutines and wakes
/// wait for a few hundred microseconds at most.
const COMPACT_BATCH: usize = 64;

/// The state of one `run`.
pub(crate) struct Runtime {
    /// Declared before the pool: fields drop in order, and a coroutine
    /// must be dropped while its stack's chunk is still mapped.
    slots: RefCell<Slab<Slot>>,
    pool: RefCell<StackPool>,
    backing: RawFd,
    ready: RefCell<VecDeque<usize>>,
    /// The running coroutine's key.
    running: Cell<Option<usize>>,
    /// Coroutines parked in a join, and on a future.
    parked_in_join: Cell<usize>,
    parked_on_future: Cell<usize>,
    /// The running coroutine's yielder.
    yielder: Cell<*const CoYielder>,
    /// Set while deadlocked coroutines are unwound.
    tearing_down: Cell<bool>,
    /// Keys of coroutines woken by wakers, from any thread.
    woken_tx: async_channel::Sender<usize>,
    woken_rx: async_channel::Receiver<usize>,
    /// Helper threads for blocking foreign calls, started on first use.
    blocking: std::cell::OnceCell<BlockingPool>,
    blocking_config: BlockingConfig,
    /// How long a coroutine stays parked before its stack is compacted
    /// (`Builder::compact_idle_stacks`; `None`: never).
    compact_after: Option<Duration>,
    /// Parked coroutines, oldest first, while compaction is on.
    idle: RefCell<VecDeque<IdleEntry>>,
    /// Resumes so far, to look for idle stacks every [`COMPACT_EVERY`].
    resumes: Cell<u64>,
    /// The time at the last look (or wake from sleep): parkings are
    /// stamped with it, which saves reading the clock on every one. It runs
    /// behind by at most [`COMPACT_EVERY`] resumes, so a stack may be
    /// compacted that much early.
    clock: Cell<Instant>,
}

/// What the helper threads of blocking foreign calls may be.
#[derive(Clone, Copy, Debug)]
pub(crate) struct BlockingConfig {
    /// Most helper threads at once (`Builder::blocking_threads`).
    pub(crate) max_threads: usize,
    /// Stack size of each (`Builder::scheduler_stack`).
    pub(crate) stack_size: usize,
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

/// Wakes one coroutine: sends its key to its runtime's scheduler.
struct CoroutineWaker {
    key: usize,
    woken: async_channel::Sender<usize>,
}

impl Wake for CoroutineWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        // An unbounded channel refuses only once the runtime is gone: then
        // there is nothing left to wake.
        let _ = self.woken.try_send(self.key);
    }
}

impl Runtime {
    /// A runtime whose coroutines take their stacks from `pool`.
    pub(crate) fn new(
        pool: StackPool,
        blocking_config: BlockingConfig,
        compact_after: Option<Duration>,
    ) -> Self {
        let (woken_tx, woken_rx) = async_channel::unbounded();
        Runtime {
            backing: pool.fd().as_raw_fd(),
            pool: RefCell::new(pool),
            slots: RefCell::new(Slab::new()),
            ready: RefCell::new(VecDeque::new()),
            running: Cell::new(None),
            parked_in_join: Cell::new(0),
            parked_on_future: Cell::new(0),
            yielder: Cell::new(ptr::null()),
            tearing_down: Cell::new(false),
            woken_tx,
            woken_rx,
            blocking: std::cell::OnceCell::new(),
            blocking_config,
            compact_after,
            idle: RefCell::new(VecDeque::new()),
            resumes: Cell::new(0),
            clock: Cell::new(Instant::now()),
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
        let key = self.slots.borrow_mut().insert(Slot {
            task: Some(Task {
                coroutine,
                stack,
                yielder: ptr::null(),
            }),
            state: State::Ready,
            parkings: 0,
            queued: false,
        });
        self.ready.borrow_mut().push_back(key);
        bump(&ctx().stats.spawned);
        Ok(())
    }

    /// The helper threads of blocking foreign calls.
    pub(crate) fn blocking_pool(&self) -> &BlockingPool {
        self.blocking.get_or_init(|| {
            BlockingPool::new(
                self.blocking_config.max_threads,
                self.blocking_config.stack_size,
            )
        })
    }

    /// The key of the running coroutine.
    pub(crate) fn running_key(&self) -> Option<usize> {
        self.running.get()
    }

    /// A waker that re-queues the running coroutine, from any thread.
    pub(crate) fn waker(&self) -> Option<Waker> {
        let key = self.running.get()?;
        Some(Waker::from(Arc::new(CoroutineWaker {
            key,
            woken: self.woken_tx.clone(),
        })))
    }

    /// The number of coroutines parked for `kind`.
    fn parked(&self, kind: Parked) -> &Cell<usize> {
        match kind {
            Parked::Join => &self.parked_in_join,
            Parked::Future => &self.parked_on_future,
        }
    }

    /// Makes the coroutine under `key` ready if it is parked; anything else
    /// (ready, running, finished: a spurious or late wake) is ignored.
    fn make_ready(&self, key: usize) {
        let mut slots = self.slots.borrow_mut();
        let Some(slot) = slots.get_mut(key) else {
            return;
        };
        let State::Parked(kind) = slot.state else {
            return;
        };
        slot.state = State::Ready;
        let count = self.parked(kind);
        count.set(count.get() - 1);
        self.ready.borrow_mut().push_back(key);
    }

    /// Makes ready the coroutines woken from other threads (or by wakers
    /// called on this one) since the last look.
    fn drain_woken(&self) {
        // Two loads when nothing was sent: this runs before every resume.
        if self.woken_rx.is_empty() {
            return;
        }
        while let Ok(key) = self.woken_rx.try_recv() {
            self.make_ready(key);
        }
    }

    /// In a forked child: the helper threads did not come along, so the
    /// pool starts over (calls in flight at the fork never finish here).
    pub(crate) fn forget_blocking_pool_after_fork(&self) {
        if let Some(pool) = self.blocking.get() {
            pool.forget_threads_after_fork();
        }
    }

    /// Whether a blocking foreign call of this runtime is in flight.
    fn blocking_in_flight(&self) -> bool {
        self.blocking.get().is_some_and(BlockingPool::busy)
    }

    /// Spins up to [`SPIN_FOR_WAKE`] for a wake; true if one came.
    fn spin_for_wake(&self) -> bool {
        crate::spin::poll_for(SPIN_FOR_WAKE, || (!self.woken_rx.is_empty()).then_some(())).is_some()
    }

    /// Compacts the stacks of up to `budget` coroutines parked for longer
    /// than `compact_after` (nothing when compaction is off); returns
    /// whether more are due.
    fn compact_idle(&self, budget: usize) -> bool {
        let Some(after) = self.compact_after else {
            return false;
        };
        let now = Instant::now();
        self.clock.set(now);
        let mut budget = budget;
        loop {
            if budget == 0 {
                return self
                    .idle
                    .borrow()
                    .front()
                    .is_some_and(|entry| now.duration_since(entry.since) >= after);
            }
            let entry = {
                let mut idle = self.idle.borrow_mut();
                match idle.front() {
                    Some(entry) if now.duration_since(entry.since) >= after => idle.pop_front(),
                    _ => None,
                }
            };
            let Some(entry) = entry else {
                return false;
            };
            let mut slots = self.slots.borrow_mut();
            let Some(slot) = slots.get_mut(entry.key) else {
                continue;
            };
            let (State::Parked(_), Some(task)) = (slot.state, &slot.task) else {
                slot.queued = false;
                continue;
            };
            if slot.parkings != entry.parking {
                // Woken and parked again since: look again a threshold
                // from now.
                self.idle.borrow_mut().push_back(IdleEntry {
                    key: entry.key,
                    parking: slot.parkings,
                    since: now,
                });
                continue;
            }
            slot.queued = false;
            let switch_depth = below_recorded_sp(|| Suspend::Yield);
            // SAFETY: the coroutine is parked: it runs again only through
            // `as_running`, which restores its stack first; the backing is
            // this runtime's.
            if unsafe { task.stack.try_compact(self.backing, switch_depth) } {
                bump(&ctx().stats.compactions);
                budget -= 1;
            }
        }
    }

    /// When the oldest parked coroutine will have been idle long enough to
    /// compact, if compaction is on and one is parked.
    fn next_compaction(&self) -> Option<Instant> {
        let after = self.compact_after?;
        let since = self.idle.borrow().front()?.since;
        Some(since + after)
    }

    /// Sleeps in the reactor until a waker sends a key, or until `deadline`.
    fn sleep_until_woken(&self, deadline: Option<Instant>) -> Option<usize> {
        let Some(deadline) = deadline else {
            return async_io::block_on(self.woken_rx.recv()).ok();
        };
        let mut recv = std::pin::pin!(self.woken_rx.recv());
        let mut timer = async_io::Timer::at(deadline);
        async_io::block_on(std::future::poll_fn(|cx| {
            if let Poll::Ready(key) = recv.as_mut().poll(cx) {
                return Poll::Ready(key.ok());
            }
            if std::pin::Pin::new(&mut timer).poll(cx).is_ready() {
                return Poll::Ready(None);
            }
            Poll::Pending
        }))
    }

    fn live(&self) -> usize {
        self.slots.borrow().len()
    }
}

/// The key of the coroutine running on this thread, if any.
pub(crate) fn running_key() -> Option<usize> {
    runtime()?.running_key()
}

/// Makes the coroutine under `key` of this thread's runtime ready if it is
/// parked.
pub(crate) fn wake(key: usize) {
    if let Some(runtime) = runtime() {
        runtime.make_ready(key);
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
    if stack.restore_before_running() {
        bump(&ctx.stats.restorations);
    }
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
        runtime.drain_woken();
        let next = runtime.ready.borrow_mut().pop_front();
        if let Some(key) = next {
            resume(runtime, key);
            let resumes = runtime.resumes.get() + 1;
            runtime.resumes.set(resumes);
            if resumes.is_multiple_of(COMPACT_EVERY) {
                runtime.compact_idle(COMPACT_BATCH);
            }
            continue;
        }
        if runtime.live() == 0 || runtime.tearing_down.get() {
            break;
        }
        if runtime.parked_on_future.get() > 0 {
            // A blocking call's helper usually answers within microseconds:
            // look for its wake a little before going to sleep.
            if runtime.blocking_in_flight()
                && !crate::valgrind::running_on_valgrind()
                && runtime.spin_for_wake()
            {
                continue;
            }
            // Sleep in the reactor until a waker sends a key (I/O and
            // timers are driven on this thread meanwhile), or until the
            // next parked stack is due for compaction.
            // Compact in batches, stopping for any wake.
            while runtime.compact_idle(COMPACT_BATCH) && runtime.woken_rx.is_empty() {}
            if !runtime.woken_rx.is_empty() {
                continue;
            }
            let woken = runtime.sleep_until_woken(runtime.next_compaction());
            if runtime.compact_after.is_some() {
                runtime.clock.set(Instant::now());
            }
            if let Some(key) = woken {
                runtime.make_ready(key);
            }
            continue;
        }
        // Every live coroutine is parked in a join and nothing can wake
        // them (a join cycle): unwind them, as dropping their coroutines
        // does, so their destructors run and their stacks go back to the
        // pool.
        deadlocked = runtime.live();
        runtime.tearing_down.set(true);
        let parked: Vec<Task> = runtime
            .slots
            .borrow_mut()
            .drain()
            .filter_map(|slot| slot.task)
            .collect();
        for task in parked {
            finish(runtime, task);
        }
    }
    if deadlocked > 0 {
        panic!(
            "coffi: deadlock: {deadlocked} coroutine(s) waited in JoinHandle::join on each other; \
             they were unwound"
        );
    }
}

fn resume(runtime: &Runtime, key: usize) {
    let task = {
        let mut slots = runtime.slots.borrow_mut();
        let slot = &mut slots[key];
        slot.state = State::Running;
        slot.task.take()
    };
    let Some(mut task) = task else {
        unreachable!("a ready coroutine without its task");
    };
    runtime.running.set(Some(key));
    let Task {
        coroutine,
        stack,
        yielder,
    } = &mut task;
    let result = as_running(runtime, stack, yielder, || coroutine.resume(()));
    runtime.running.set(None);
    let state = match result {
        CoroutineResult::Yield(Suspend::Yield) => {
            runtime.ready.borrow_mut().push_back(key);
            State::Ready
        }
        CoroutineResult::Yield(Suspend::Park(kind)) => {
            let count = runtime.parked(kind);
            count.set(count.get() + 1);
            State::Parked(kind)
        }
        CoroutineResult::Return(()) => {
            runtime.slots.borrow_mut().remove(key);
            return finish(runtime, task);
        }
    };
    let mut slots = runtime.slots.borrow_mut();
    let slot = &mut slots[key];
    slot.state = state;
    slot.task = Some(task);
    if matches!(state, State::Parked(_)) && runtime.compact_after.is_some() {
        slot.parkings += 1;
        if !slot.queued {
            slot.queued = true;
            runtime.idle.borrow_mut().push_back(IdleEntry {
                key,
                parking: slot.parkings,
                since: runtime.clock.get(),
            });
        }
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
    if coroutine.done() {
        drop(coroutine);
    } else {
        // Dropping a suspended coroutine unwinds it, on its own stack.
        as_running(runtime, &stack, &mut yielder, || {
            if let Err(payload) = catch_unwind(AssertUnwindSafe(move || drop(coroutine))) {
                // A destructor panicked while unwinding: nothing can take it.
                std::mem::forget(payload);
            }
        });
    }
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
    if let Some(stack) = ctx.stack() {
        stack.parked_sp.set(arch::stack_pointer());
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
