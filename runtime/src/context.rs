//! Per-thread state of the call paths: where the thread is executing, the
//! cursors of live frames on both stacks, and the counters of
//! [`Stats`](crate::Stats).
//!
//! Every field is a `Cell` of a plain value, so the thread-local has no
//! destructor and is reached with one TLS-relative access.

use crate::stack::CoroutineStack;
use crate::stats::StatCells;
use std::cell::Cell;
use std::ptr;

/// What the thread is executing right now.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Mode {
    /// Not on a coroutine: a plain thread, or the scheduler between coroutines.
    Plain,
    /// Rust code of a coroutine, on one of its windows.
    Coroutine,
    /// C code on the scheduler stack, called by a coroutine's foreign call.
    Foreign,
}

pub(crate) struct ThreadCtx {
    pub(crate) mode: Cell<Mode>,
    /// The running coroutine's stack (null when none runs).
    pub(crate) current: Cell<*const CoroutineStack>,
    /// Where the next switch onto the scheduler stack starts: below every
    /// live frame there.
    pub(crate) sched_sp: Cell<usize>,
    /// Bounds of the scheduler stack's guard page, for the fault handler.
    pub(crate) sched_guard: Cell<(usize, usize)>,
    /// Live foreign calls made in place (not from a coroutine window).
    pub(crate) plain_depth: Cell<usize>,
    /// Live callback bodies run on a coroutine by `callback_on_coroutine`.
    pub(crate) callback_depth: Cell<usize>,
    /// A callback panicked; the payload waits in `PENDING_PANIC`.
    pub(crate) panic_pending: Cell<bool>,
    /// Strict mode is on for this thread's runtime.
    pub(crate) strict: Cell<bool>,
    /// `Builder::slow_call_warning` in nanoseconds (0: off).
    pub(crate) slow_call_nanos: Cell<u64>,
    pub(crate) stats: StatCells,
}

thread_local! {
    static CTX: ThreadCtx = const {
        ThreadCtx {
            mode: Cell::new(Mode::Plain),
            current: Cell::new(ptr::null()),
            sched_sp: Cell::new(0),
            sched_guard: Cell::new((0, 0)),
            plain_depth: Cell::new(0),
            callback_depth: Cell::new(0),
            panic_pending: Cell::new(false),
            strict: Cell::new(false),
            slow_call_nanos: Cell::new(0),
            stats: StatCells::new(),
        }
    };
}

/// This thread's context.
#[inline(always)]
pub(crate) fn ctx() -> &'static ThreadCtx {
    // SAFETY: the thread-local has a const initialiser and no destructor, so
    // it is valid for as long as the thread runs, and `ThreadCtx` is not
    // `Sync`-shared: the reference never leaves this thread (it is `!Send`
    // through its `Cell`s and raw pointers).
    CTX.with(|c| unsafe { &*ptr::from_ref(c) })
}

impl ThreadCtx {
    /// The running coroutine's stack, if any.
    #[inline]
    pub(crate) fn stack(&self) -> Option<&CoroutineStack> {
        let stack = self.current.get();
        // SAFETY: `current` is set by the scheduler to a boxed stack that
        // outlives the coroutine's run slice, and cleared when it stops.
        unsafe { stack.as_ref() }
    }
}
