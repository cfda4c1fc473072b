//! What the callbacks saw, for the tests to check.

use std::cell::{Cell, RefCell};
use std::sync::atomic::{AtomicI32, AtomicU64};

thread_local! {
    /// `(level, value C returned for the level below)` for every nesting level.
    pub static NEST_LEVELS: RefCell<Vec<(i32, i32)>> = const { RefCell::new(Vec::new()) };
    /// The backtrace `backtrace_cb` took.
    pub static LAST_BACKTRACE: RefCell<String> = const { RefCell::new(String::new()) };
    /// Comparator calls made by `qsort`.
    pub static COMPARISONS: Cell<u64> = const { Cell::new(0) };
}

/// Whether the last `thread_cb` ran inside a coroutine (1) or not (0); -1 before.
pub static THREAD_CB_ON_COROUTINE: AtomicI32 = AtomicI32::new(-1);
/// `pthread_self()` of the thread the last `thread_cb` ran on.
pub static THREAD_CB_THREAD: AtomicU64 = AtomicU64::new(0);
