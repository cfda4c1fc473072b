//! What the runtime tells about itself: [`stack_info`] and [`stats`].

use crate::context::{Mode, ctx};
use crate::stats::Stats;

/// The current coroutine's stack, as [`stack_info`] sees it.
///
/// ```
/// coffi::run(|| {
///     let info = coffi::stack_info().expect("inside a coroutine");
///     assert!(info.used > 0 && info.used < info.window_len);
///     assert!(info.window_len <= info.limit);
///     assert_eq!(info.relocations, 0);
/// });
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StackInfo {
    /// Top (highest address) of the window new frames run in now.
    pub top: usize,
    /// Largest stack this coroutine may grow to (`Builder::max_stack`).
    pub limit: usize,
    /// Usable bytes of that window.
    pub window_len: usize,
    /// Bytes in use: depth of the stack pointer below the top.
    pub used: usize,
    /// How many times this coroutine's stack has moved to a larger window.
    pub relocations: u64,
}

/// The current coroutine's stack, or `None` outside a coroutine.
///
/// Inside a callback or a [`maybe_grow`](crate::maybe_grow) closure that moved
/// to a larger window, `top` and `window_len` describe that window.
///
/// ```
/// assert!(coffi::stack_info().is_none());
/// coffi::run(|| assert!(coffi::stack_info().is_some()));
/// ```
pub fn stack_info() -> Option<StackInfo> {
    let ctx = ctx();
    if ctx.mode.get() != Mode::Coroutine {
        return None;
    }
    let stack = ctx.stack()?;
    let top = stack.current_top.get();
    let sp = crate::arch::stack_pointer();
    let window_len = stack
        .windows()
        .find(|w| w.top == top)
        .map_or(0, |w| w.len());
    let used = stack.locate(sp).map_or(0, |(_, depth)| depth);
    Some(StackInfo {
        top,
        limit: stack.limit,
        window_len,
        used,
        relocations: stack.relocations.get(),
    })
}

/// Counters of this thread's runtime: the running one, or the last one that ran.
///
/// ```
/// let before = coffi::stats();
/// assert_eq!(before.max_window, 0);
/// ```
pub fn stats() -> Stats {
    ctx().stats.snapshot()
}
