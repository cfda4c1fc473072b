//! [`Stats`]: the counters of a thread's runtime, and the cells they are
//! counted in.

use std::cell::Cell;

/// Counters of this thread's runtime (the current or the last `run`).
///
/// ```
/// coffi::run(|| {
///     coffi::spawn(|| ()).join().unwrap();
/// });
/// assert_eq!(coffi::stats().spawned, 2); // the main coroutine and one more
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Coroutines spawned, the main one included.
    pub spawned: u64,
    /// `#[foreign_call]` calls made on this thread (since the last `run` began).
    pub foreign_calls: u64,
    /// `#[export_callback]` bodies run on this thread (since the last `run` began).
    pub callbacks: u64,
    /// `#[foreign_call(blocking)]` calls run on a helper thread (also
    /// counted in `foreign_calls`).
    pub blocking_calls: u64,
    /// Ordinary foreign calls that took longer than
    /// `Builder::slow_call_warning` (0 while it is off).
    pub slow_calls: u64,
    /// Stack relocations: moves to a larger window (newly mapped, or one a
    /// pooled stack kept from an earlier coroutine).
    pub relocations: u64,
    /// Largest window any coroutine has had, in bytes: the first window's
    /// size until a stack moves (0 before the first `run` on this thread).
    pub max_window: usize,
    /// Stacks of parked coroutines compacted
    /// (`Builder::compact_idle_stacks`).
    pub compactions: u64,
    /// Compacted stacks whose coroutine ran again (their bytes were brought
    /// back by the scheduler, or earlier by a thread that touched them).
    pub restorations: u64,
}

/// The live counters of one thread: a `Cell` per field of [`Stats`], so the
/// hot paths bump one word.
pub(crate) struct StatCells {
    pub(crate) spawned: Cell<u64>,
    pub(crate) foreign_calls: Cell<u64>,
    pub(crate) callbacks: Cell<u64>,
    pub(crate) blocking_calls: Cell<u64>,
    pub(crate) slow_calls: Cell<u64>,
    relocations: Cell<u64>,
    max_window: Cell<usize>,
    pub(crate) compactions: Cell<u64>,
    pub(crate) restorations: Cell<u64>,
}

impl StatCells {
    pub(crate) const fn new() -> Self {
        StatCells {
            spawned: Cell::new(0),
            foreign_calls: Cell::new(0),
            callbacks: Cell::new(0),
            blocking_calls: Cell::new(0),
            slow_calls: Cell::new(0),
            relocations: Cell::new(0),
            max_window: Cell::new(0),
            compactions: Cell::new(0),
            restorations: Cell::new(0),
        }
    }

    /// What the counters say now.
    pub(crate) fn snapshot(&self) -> Stats {
        Stats {
            spawned: self.spawned.get(),
            foreign_calls: self.foreign_calls.get(),
            callbacks: self.callbacks.get(),
            blocking_calls: self.blocking_calls.get(),
            slow_calls: self.slow_calls.get(),
            relocations: self.relocations.get(),
            max_window: self.max_window.get(),
            compactions: self.compactions.get(),
            restorations: self.restorations.get(),
        }
    }

    /// Starts counting for a new runtime whose first windows are `first_window` bytes.
    pub(crate) fn reset(&self, first_window: usize) {
        self.spawned.set(0);
        self.foreign_calls.set(0);
        self.callbacks.set(0);
        self.blocking_calls.set(0);
        self.slow_calls.set(0);
        self.relocations.set(0);
        self.max_window.set(first_window);
        self.compactions.set(0);
        self.restorations.set(0);
    }

    /// Counts a relocation to a window of `len` bytes.
    pub(crate) fn relocated(&self, len: usize) {
        bump(&self.relocations);
        self.max_window.set(self.max_window.get().max(len));
    }
}

/// Adds one to a counter.
#[inline(always)]
pub(crate) fn bump(counter: &Cell<u64>) {
    counter.set(counter.get() + 1);
}
