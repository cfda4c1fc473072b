//! Starting a runtime: [`Builder`] and [`run`].

use crate::context::ctx;
use crate::error::{Error, ErrorKind};
use crate::fault;
use crate::os;
use crate::scheduler::{BlockingConfig, Runtime, schedule};
use crate::spawn::spawn_on;
use crate::stack::{SchedulerStack, StackPool};
use std::panic::resume_unwind;
use std::time::Duration;

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
/// Largest `max_stack` accepted: the backing object holds one slot of this
/// size per live coroutine.
const MAX_STACK_LIMIT: usize = 1 << 40;

/// Default size of the scheduler stack, where all C code runs.
///
/// ```
/// assert_eq!(coffi::DEFAULT_SCHEDULER_STACK, 8 << 20);
/// ```
pub const DEFAULT_SCHEDULER_STACK: usize = 8 * 1024 * 1024;

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
    blocking_threads: usize,
    slow_call_warning: Option<Duration>,
    compact_idle_stacks: Option<Duration>,
}

/// Default most helper threads for blocking foreign calls at once.
///
/// ```
/// assert_eq!(coffi::DEFAULT_BLOCKING_THREADS, 64);
/// ```
pub const DEFAULT_BLOCKING_THREADS: usize = 64;

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
            blocking_threads: DEFAULT_BLOCKING_THREADS,
            slow_call_warning: None,
            compact_idle_stacks: None,
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

    /// Strict mode: proves that shims re-derive their frames. Each foreign
    /// call's frame (its arguments and return slot) lives on stack pages of
    /// its own for the length of the call; when a callback moves the stack,
    /// the old aliases of those pages are read-only until the call returns,
    /// so a shim writing its result through a pointer taken before the move
    /// faults at once with a message, whichever thread makes the write.
    /// Everything else stays writable: C writing an out-parameter or user
    /// data on the coroutine stack after the move is correct (old windows
    /// stay mapped on the same pages) and passes. Costs a page copy and a
    /// few system calls per foreign call; for tests and debugging.
    ///
    /// ```
    /// coffi::Builder::new().strict(true).run(|| ()).unwrap();
    /// ```
    pub fn strict(mut self, on: bool) -> Self {
        self.strict = on;
        self
    }

    /// Most helper threads running `#[foreign_call(blocking)]` calls at once
    /// (default [`DEFAULT_BLOCKING_THREADS`]); more calls wait in order.
    /// Helpers start on demand, with stacks of the scheduler stack's size,
    /// and exit after ten idle seconds. A helper whose C waits for a
    /// callback at home still counts: when every helper waits for callbacks
    /// that themselves make blocking calls (across all coroutines of the
    /// runtime), those calls wait for ever; raise the limit above the
    /// number of such calls that can be in flight at once.
    ///
    /// ```
    /// coffi::Builder::new().blocking_threads(4).run(|| ()).unwrap();
    /// assert!(coffi::Builder::new().blocking_threads(0).run(|| ()).is_err());
    /// ```
    pub fn blocking_threads(mut self, n: usize) -> Self {
        self.blocking_threads = n;
        self
    }

    /// Reports ordinary (not `blocking`) foreign calls that take longer
    /// than `limit`: they keep the scheduler thread, stalling every
    /// coroutine of it. Each is counted in [`Stats::slow_calls`](crate::Stats),
    /// and the first of each function is reported on stderr with a hint to
    /// declare it `blocking`. Off by default (it reads the clock twice per
    /// call).
    ///
    /// ```
    /// use std::time::Duration;
    /// coffi::Builder::new()
    ///     .slow_call_warning(Duration::from_millis(10))
    ///     .run(|| ())
    ///     .unwrap();
    /// ```
    pub fn slow_call_warning(mut self, limit: Duration) -> Self {
        self.slow_call_warning = Some(limit);
        self
    }

    /// Compacts the stack of a coroutine parked (in `join` or
    /// [`wait`](crate::wait)) for longer than `idle`: its few used bytes go
    /// to the heap and its stack page back to the system, and they come back
    /// at the same addresses before it resumes, or as soon as any thread
    /// touches them. A million such coroutines take about 1 KiB each instead
    /// of about 4.6 KiB. Off by default (`None`).
    ///
    /// Compaction covers every access made by code, from any thread, but not
    /// one made by the kernel for another thread: a system call that reads
    /// or writes a compacted stack (another thread `read(2)`ing into a
    /// buffer on it, a `futex` wait on a lock word living there) fails with
    /// `EFAULT`. Enable it only where no other thread hands such pointers to
    /// the kernel while their coroutine is parked. It needs guard regions
    /// (Linux 6.15), and is off under valgrind or with
    /// `COFFI_GUARD_PAGES=mapping`. A compacted coroutine pays a page
    /// allocation and two system calls to resume (see `BENCHMARKS.md`); a
    /// coroutine whose stack has grown, or with a blocking call in flight,
    /// is never compacted.
    ///
    /// ```
    /// use std::time::Duration;
    /// let compacted = coffi::Builder::new()
    ///     .compact_idle_stacks(Some(Duration::ZERO))
    ///     .run(|| {
    ///         let h = coffi::spawn(|| coffi::sleep(Duration::from_millis(50)));
    ///         coffi::sleep(Duration::from_millis(10));
    ///         let compacted = coffi::stats().compactions;
    ///         h.join().unwrap();
    ///         compacted
    ///     })
    ///     .unwrap();
    /// # let _ = compacted;
    /// ```
    pub fn compact_idle_stacks(mut self, idle: Option<Duration>) -> Self {
        self.compact_idle_stacks = idle;
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
        let initial = os::round_to_page(self.initial_stack);
        let max = os::round_to_page(self.max_stack);
        if max > MAX_STACK_LIMIT {
            return Err(Error::new(
                ErrorKind::Config,
                format!(
                    "coffi: max_stack ({} bytes) must be at most {MAX_STACK_LIMIT} bytes (1 TiB)",
                    self.max_stack
                ),
            ));
        }
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
        if self.blocking_threads == 0 {
            return Err(Error::new(
                ErrorKind::Config,
                "coffi: blocking_threads must be at least 1",
            ));
        }
        let ctx = ctx();
        if Runtime::is_active() {
            return Err(Error::new(
                ErrorKind::Nested,
                "coffi: coffi::run called inside a running coffi::run on the same thread; \
                 use coffi::spawn to start more coroutines",
            ));
        }
        fault::install();
        crate::fork::install();
        crate::panic_hook::install();
        let _alt_stack = fault::AltStack::ensure();
        let sched = SchedulerStack::allocate(self.scheduler_stack)?;
        let compact_after = self
            .compact_idle_stacks
            .filter(|_| os::guard_regions::supported());
        let pool = StackPool::new(initial, max, compact_after.is_some())?;
        let runtime = Runtime::new(
            pool,
            BlockingConfig {
                max_threads: self.blocking_threads,
                stack_size: self.scheduler_stack,
            },
            compact_after,
        );
        ctx.stats.reset(initial);
        ctx.strict.set(self.strict);
        ctx.slow_call_nanos
            .set(self.slow_call_warning.map_or(0, |limit| {
                u64::try_from(limit.as_nanos()).unwrap_or(u64::MAX).max(1)
            }));
        ctx.sched_guard.set((sched.guard, sched.bottom));
        let _entered = runtime.enter();
        let _guard_bounds = SchedulerGuardBounds;

        let main = spawn_on(&runtime, f)?;
        // Drive every coroutine to completion on the scheduler stack. Panics
        // of the scheduler itself propagate through `on_stack`.
        corosensei::on_stack(&sched, || schedule(&runtime));
        match main.take_result() {
            Some(Ok(value)) => Ok(value),
            Some(Err(payload)) => resume_unwind(payload),
            None => unreachable!("the scheduler returned before the main coroutine finished"),
        }
    }
}

/// Forgets the scheduler stack's guard bounds and the slow-call threshold
/// when `run` ends, also by a panic.
struct SchedulerGuardBounds;

impl Drop for SchedulerGuardBounds {
    fn drop(&mut self) {
        let ctx = ctx();
        ctx.sched_guard.set((0, 0));
        ctx.slow_call_nanos.set(0);
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
