//! What the runtime tells about itself: [`StackInfo`] and [`Stats`].

use crate::context::ctx;

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
    /// Stack relocations: moves to a larger window (newly mapped, or one a
    /// pooled stack kept from an earlier coroutine).
    pub relocations: u64,
    /// Largest window any coroutine has had, in bytes: the first window's
    /// size until a stack moves (0 before the first `run` on this thread).
    pub max_window: usize,
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
    if ctx.mode.get() != crate::context::Mode::Coroutine {
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
    ctx().stats()
}
