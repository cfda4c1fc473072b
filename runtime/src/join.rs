//! Waiting for a coroutine: [`JoinHandle`].

use crate::scheduler::{Parked, Suspend, running_key, suspend, wake};
use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::thread;

/// The result slot shared by a coroutine and its [`JoinHandle`].
pub(crate) struct JoinState<T> {
    result: RefCell<Option<thread::Result<T>>>,
    finished: Cell<bool>,
    /// The key of the coroutine parked in `join`, if any.
    waiter: Cell<Option<usize>>,
}

impl<T> JoinState<T> {
    pub(crate) fn new() -> Self {
        JoinState {
            result: RefCell::new(None),
            finished: Cell::new(false),
            waiter: Cell::new(None),
        }
    }

    /// Stores the coroutine's result and wakes the coroutine joining it.
    pub(crate) fn finish(&self, result: thread::Result<T>) {
        *self.result.borrow_mut() = Some(result);
        self.finished.set(true);
        if let Some(waiter) = self.waiter.take() {
            wake(waiter);
        }
    }
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
    pub(crate) state: Rc<JoinState<T>>,
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
            self.state.waiter.set(running_key());
            suspend(Suspend::Park(Parked::Join), "JoinHandle::join");
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

    pub(crate) fn take_result(&self) -> Option<thread::Result<T>> {
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
