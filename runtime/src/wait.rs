//! Waiting without stalling: [`wait`] for any future, and [`sleep`].

use crate::context::{Mode, ctx};
use crate::scheduler::{Parked, Suspend, runtime, suspend};
use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll};
use std::time::Duration;

/// Waits for `f` and returns its output.
///
/// On a coroutine, `f` is polled with a waker that re-queues this
/// coroutine; while `f` is pending the coroutine is parked and the others
/// run. The waker is `Send + Sync`: a future completed by another thread (a
/// channel, a thread pool) wakes the coroutine on its own thread, and when
/// no coroutine is ready the scheduler sleeps in async-io's reactor, so
/// sockets and timers ([`sleep`], [`crate::net`], `async_io::Timer`,
/// `async_io::Async`) wake it directly. Elsewhere (a plain thread, or code
/// outside any coroutine) it blocks the thread until `f` is ready, like
/// `async_io::block_on`.
///
/// A coroutine waiting on a future that nothing will ever wake stays parked,
/// and `run` waits for it, as a thread blocked forever would.
///
/// Panics inside an `#[export_callback]` called from C under an ordinary
/// foreign call: the C frames on the scheduler stack cannot be suspended.
///
/// ```
/// let (tx, rx) = async_channel::bounded(1);
/// let sender = std::thread::spawn(move || {
///     for i in 0..10u32 {
///         tx.send_blocking(i).unwrap();
///     }
/// });
/// let sum = coffi::run(move || {
///     let mut sum = 0;
///     while let Ok(i) = coffi::wait(rx.recv()) {
///         sum += i;
///     }
///     sum
/// });
/// sender.join().unwrap();
/// assert_eq!(sum, 45);
/// ```
pub fn wait<F: Future>(f: F) -> F::Output {
    let ctx = ctx();
    let waker = match runtime() {
        Some(runtime) if ctx.mode.get() == Mode::Coroutine => runtime.waker(),
        _ => None,
    };
    let Some(waker) = waker else {
        return async_io::block_on(f);
    };
    if ctx.callback_depth.get() > 0 {
        panic!(
            "coffi::wait called inside an #[export_callback] while C frames are live on the \
             scheduler stack: a coroutine cannot wait until the foreign call that led here \
             returns"
        );
    }
    let mut f = pin!(f);
    let mut cx = Context::from_waker(&waker);
    loop {
        if let Poll::Ready(output) = f.as_mut().poll(&mut cx) {
            return output;
        }
        suspend(Suspend::Park(Parked::Future), "coffi::wait");
    }
}

/// Sleeps for `duration`: parks the coroutine (the others run meanwhile),
/// or sleeps the thread outside a coroutine.
///
/// ```
/// use std::time::{Duration, Instant};
/// let start = Instant::now();
/// coffi::run(|| {
///     let sleepers: Vec<_> = (0..100)
///         .map(|_| coffi::spawn(|| coffi::sleep(Duration::from_millis(20))))
///         .collect();
///     sleepers.into_iter().for_each(|h| h.join().unwrap());
/// });
/// // A hundred 20 ms sleeps overlap.
/// assert!(start.elapsed() < Duration::from_secs(2));
/// ```
pub fn sleep(duration: Duration) {
    if ctx().mode.get() == Mode::Coroutine && runtime().is_some() {
        wait(async_io::Timer::after(duration));
    } else {
        std::thread::sleep(duration);
    }
}
