//! Per-thread state of the call paths: where the thread is executing, the
//! cursors of live frames on both stacks, and the counters of [`Stats`].
//!
//! Every field is a `Cell` of a plain value, so the thread-local has no
//! destructor and is reached with one TLS-relative access.

use crate::info::Stats;
use crate::stack::CoroutineStack;
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
    /// The runtime running on this thread (null outside `run`).
    pub(crate) runtime: Cell<*const crate::scheduler::Runtime>,
    pub(crate) strict: Cell<bool>,
    pub(crate) spawned: Cell<u64>,
    pub(crate) foreign_calls: Cell<u64>,
    pub(crate) callbacks: Cell<u64>,
    pub(crate) relocations: Cell<u64>,
    pub(crate) max_window: Cell<usize>,
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
            runtime: Cell::new(ptr::null()),
            strict: Cell::new(false),
            spawned: Cell::new(0),
            foreign_calls: Cell::new(0),
            callbacks: Cell::new(0),
            relocations: Cell::new(0),
            max_window: Cell::new(0),
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

    pub(crate) fn stats(&self) -> Stats {
        Stats {
            spawned: self.spawned.get(),
            foreign_calls: self.foreign_calls.get(),
            callbacks: self.callbacks.get(),
            relocations: self.relocations.get(),
            max_window: self.max_window.get(),
        }
    }

    pub(crate) fn reset_stats(&self) {
        self.spawned.set(0);
        self.foreign_calls.set(0);
        self.callbacks.set(0);
        self.relocations.set(0);
        self.max_window.set(0);
    }
}

/// Counts a relocation to a window of `len` bytes.
pub(crate) fn note_relocation(len: usize) {
    let ctx = ctx();
    ctx.relocations.set(ctx.relocations.get() + 1);
    ctx.max_window.set(ctx.max_window.get().max(len));
}

/// Bumps a counter.
#[inline(always)]
pub(crate) fn bump(counter: &Cell<u64>) {
    counter.set(counter.get() + 1);
}
