//! Blocking foreign calls: the shim runs on a helper thread while the
//! coroutine is parked and the others run; callbacks that C makes there go
//! home, to run as part of the coroutine, on its thread and its stack.
//!
//! The coroutine and the helper meet in a [`Job`]: the helper runs the
//! shim on a heap copy of the frame (copied back when C returns), and when C calls back it posts the callback in the job, wakes the
//! coroutine and waits; the coroutine runs the body (moving its stack if it
//! needs room), posts the result and parks again; when C returns, the
//! helper marks the job done and wakes the coroutine. No C frame is ever
//! live on the coroutine's thread, so a callback at home may wait, sleep,
//! yield, join, spawn and make foreign calls, blocking or not.

use super::foreign::foreign_call;
use crate::context::{Mode, ctx};
use crate::scheduler::runtime;
use crate::shim_abi::ShimFn;
use crate::stats::bump;
use crate::wait;
use std::any::Any;
use std::cell::Cell;
use std::ffi::c_void;
use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};

/// Runs `shim(frame)` on one of the runtime's helper threads when called on
/// a coroutine, parking it until C returns; elsewhere (a plain thread, or a
/// callback under an ordinary foreign call, which cannot suspend) it runs
/// in place like [`foreign_call`]. A panic of a callback resumes when the
/// call returns.
///
/// # Safety
///
/// `frame` must point to the frame `shim` expects, valid for the whole call.
pub unsafe fn blocking_call<Frame>(name: &'static str, shim: ShimFn, frame: *mut Frame) {
    let ctx = ctx();
    let at_home = ctx.mode.get() == Mode::Coroutine && ctx.callback_depth.get() == 0;
    let (Some(runtime), Some(stack), true) = (runtime(), ctx.stack(), at_home) else {
        // SAFETY: forwarded from the caller.
        return unsafe { foreign_call(name, shim, frame) };
    };
    bump(&ctx.stats.foreign_calls);
    bump(&ctx.stats.blocking_calls);
    // The helper works on a copy of the frame on the heap, copied back when
    // C has returned: it never writes the coroutine's stack (which, in a
    // child forked by C on the helper, would be the parent's memory), and
    // the copy never moves, so the shim's delta is 0.
    let mut copy = Box::<Frame>::new_uninit();
    // SAFETY: `frame` is valid for reads (the caller's contract); the copy
    // has room for one `Frame`.
    unsafe { copy.as_mut_ptr().copy_from_nonoverlapping(frame, 1) };
    let job = Arc::new(Job {
        shim,
        frame: copy.as_mut_ptr() as usize,
        top: stack.current_top.get(),
        pid: std::process::id(),
        exchange: Mutex::new(Exchange {
            step: Step::Running,
            waker: None,
        }),
        callback_done: Condvar::new(),
        callback_answered: AtomicBool::new(false),
        panicked: AtomicBool::new(false),
        panic: Mutex::new(None),
    });
    if let Err(err) = runtime.blocking_pool().submit(Arc::clone(&job)) {
        panic!("{err}");
    }
    // From here the helper may hold the copy until C returns: leaving early
    // (a panic) would free it under C.
    stack.blocking_calls.set(stack.blocking_calls.get() + 1);
    let in_flight = InFlight { job: &job, stack };
    loop {
        match wait(NextStep { job: &job }) {
            Step::Done => break,
            Step::Callback(request) => {
                // SAFETY: the helper posted the request and waits for it;
                // its data lives in the helper's frame until we answer.
                unsafe { (request.run)(request.data, &job) };
                job.lock().step = Step::CallbackDone;
                job.callback_answered.store(true, Ordering::Release);
                job.callback_done.notify_one();
            }
            _ => unreachable!("NextStep yields only a callback or the end"),
        }
    }
    drop(in_flight);
    // SAFETY: C has returned; the copy holds the frame it wrote.
    unsafe { frame.copy_from_nonoverlapping(copy.as_ptr(), 1) };
    let payload = job.panic.lock().unwrap_or_else(|e| e.into_inner()).take();
    if let Some(payload) = payload {
        resume_unwind(payload);
    }
}

/// Aborts if a coroutine leaves `blocking_call` (by a panic) while its job
/// is in flight: C on the helper still holds the frame.
struct InFlight<'a> {
    job: &'a Job,
    /// The calling coroutine's stack: not compacted while the call is in
    /// flight (C on the helper may use it).
    stack: &'a crate::stack::CoroutineStack,
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        let calls = &self.stack.blocking_calls;
        calls.set(calls.get() - 1);
        if std::thread::panicking() && !matches!(self.job.lock().step, Step::Done) {
            eprintln!(
                "coffi: a coroutine panicked while its blocking foreign call was still running \
                 on a helper thread; the call's frame cannot be released under C; aborting"
            );
            std::process::abort();
        }
    }
}

/// A blocking call, shared by the coroutine and the helper running it.
pub(crate) struct Job {
    shim: ShimFn,
    frame: usize,
    /// What the shim reads through its `top` pointer. The frame is a heap
    /// copy that never moves, so this never changes.
    top: usize,
    /// The process that made the call: a callback from a child that C
    /// forked on the helper cannot go home.
    pid: u32,
    exchange: Mutex<Exchange>,
    /// Signalled when a callback at home has finished.
    callback_done: Condvar,
    /// Set with `Step::CallbackDone`, for the helper to poll before it
    /// sleeps on `callback_done`.
    callback_answered: AtomicBool,
    /// A callback panicked: later ones return their `on_panic` at once.
    panicked: AtomicBool,
    /// The first callback panic, resumed when the call returns.
    panic: Mutex<Option<Box<dyn Any + Send>>>,
}

struct Exchange {
    step: Step,
    /// The parked coroutine's waker.
    waker: Option<Waker>,
}

enum Step {
    /// C runs on the helper.
    Running,
    /// C called back: the coroutine is to run this.
    Callback(Request),
    /// The coroutine runs a callback.
    AtHome,
    /// The coroutine finished the callback; the helper goes on.
    CallbackDone,
    /// C returned.
    Done,
}

/// A callback posted to the coroutine: `run(data, job)`.
struct Request {
    run: unsafe fn(usize, &Job),
    data: usize,
}

// SAFETY: a job is handed to one helper thread. `frame` points to the
// heap copy `blocking_call` owns, which it does not touch and does not free
// until the job is done (the exchange's mutex orders the helper's writes
// before the coroutine's reads; `InFlight` aborts rather than free it
// early). A posted `Request`'s data
// lives in the helper's frame, which waits until the coroutine answers.
// The callback bodies and `on_panic` closures it carries hold only the
// callback's C arguments (integers, floats, raw pointers: see
// `__private::CrossesToC`), so running them on the coroutine's thread
// moves nothing bound to the helper's.
unsafe impl Send for Job {}
// SAFETY: as above; every shared field is atomic or behind a mutex.
unsafe impl Sync for Job {}

thread_local! {
    /// The job this helper thread runs, while its shim runs.
    static CURRENT_JOB: Cell<*const Job> = const { Cell::new(std::ptr::null()) };
}

/// The job the calling helper thread runs, if it runs one.
pub(crate) fn current_job() -> Option<&'static Job> {
    // SAFETY: set by `Job::run` to a job kept alive (by its `Arc`) until
    // the shim returns, and cleared then.
    unsafe { CURRENT_JOB.get().as_ref() }
}

impl Job {
    fn lock(&self) -> MutexGuard<'_, Exchange> {
        self.exchange.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Sets the step and wakes the coroutine.
    fn post(&self, step: Step) {
        let waker = {
            let mut exchange = self.lock();
            exchange.step = step;
            exchange.waker.take()
        };
        if let Some(waker) = waker {
            waker.wake();
        }
    }

    /// On a helper thread: runs the shim, then tells the coroutine.
    pub(crate) fn run(self: Arc<Self>) {
        CURRENT_JOB.set(&*self);
        // SAFETY: the trampoline's contract: `frame` fits `shim`; `top` is
        // this job's, alive while the shim runs.
        unsafe { (self.shim)(self.frame as *mut c_void, &self.top) };
        CURRENT_JOB.set(std::ptr::null());
        self.post(Step::Done);
    }

    /// On the helper thread, in an exported callback: runs the body on the
    /// coroutine's thread and waits for its result.
    pub(crate) fn callback_at_home<R, P: FnOnce() -> R, F: FnOnce() -> R>(
        &self,
        need: usize,
        on_panic: P,
        body: F,
    ) -> R {
        if self.panicked.load(Ordering::Acquire) {
            return on_panic();
        }
        if std::process::id() != self.pid {
            eprintln!(
                "coffi: C forked during a blocking foreign call and called back in the child; the \
                 coroutine it belongs to lives in the parent, so the callback cannot run; aborting"
            );
            std::process::abort();
        }
        let mut call = HomeCall {
            need,
            on_panic: Some(on_panic),
            body: Some(body),
            result: None,
        };
        self.post(Step::Callback(Request {
            run: run_at_home::<R, P, F>,
            data: &raw mut call as usize,
        }));
        self.poll_for_answer();
        let mut exchange = self.lock();
        while !matches!(exchange.step, Step::CallbackDone) {
            exchange = self
                .callback_done
                .wait(exchange)
                .unwrap_or_else(|e| e.into_inner());
        }
        exchange.step = Step::Running;
        self.callback_answered.store(false, Ordering::Relaxed);
        drop(exchange);
        match call.result {
            Some(result) => result,
            None => unreachable!("a callback at home returned no result"),
        }
    }
}

impl Job {
    /// Polls for a callback's answer for up to [`SPIN_FOR_ANSWER`] before
    /// the helper sleeps on the condition variable: a callback at home
    /// usually answers within microseconds, and waking a sleeping thread
    /// costs more. Not on a single CPU, where the home thread needs it, nor
    /// under valgrind, which runs one thread at a time.
    fn poll_for_answer(&self) {
        if crate::blocking_pool::spare_cpus() == 0 || crate::valgrind::running_on_valgrind() {
            return;
        }
        crate::spin::poll_for(SPIN_FOR_ANSWER, || {
            self.callback_answered.load(Ordering::Acquire).then_some(())
        });
    }
}

/// How long a helper polls for a callback's answer before it sleeps.
const SPIN_FOR_ANSWER: std::time::Duration = std::time::Duration::from_micros(50);

/// A callback on its way home, in the helper's frame.
struct HomeCall<R, P, F> {
    need: usize,
    on_panic: Option<P>,
    body: Option<F>,
    result: Option<R>,
}

/// On the coroutine: runs a posted callback.
///
/// # Safety
///
/// `data` is the `HomeCall<R, P, F>` of a helper waiting for the answer.
unsafe fn run_at_home<R, P: FnOnce() -> R, F: FnOnce() -> R>(data: usize, job: &Job) {
    // SAFETY: the caller's contract; the helper does not touch it until the
    // step is `CallbackDone`.
    let call = unsafe { &mut *(data as *mut HomeCall<R, P, F>) };
    let (Some(body), Some(on_panic)) = (call.body.take(), call.on_panic.take()) else {
        unreachable!("a callback posted twice");
    };
    bump(&ctx().stats.callbacks);
    let result = match catch_unwind(AssertUnwindSafe(|| crate::maybe_grow(call.need, body))) {
        Ok(value) => value,
        Err(payload) => {
            job.panicked.store(true, Ordering::Release);
            let mut first = job.panic.lock().unwrap_or_else(|e| e.into_inner());
            if first.is_none() {
                *first = Some(payload);
            }
            drop(first);
            // The helper waits for an answer: `on_panic` must not unwind.
            match catch_unwind(AssertUnwindSafe(on_panic)) {
                Ok(value) => value,
                Err(_) => {
                    eprintln!(
                        "coffi: the on_panic value of a callback panicked too; C waits for an \
                         answer on a helper thread; aborting"
                    );
                    std::process::abort();
                }
            }
        }
    };
    call.result = Some(result);
}

/// Waits for the helper's next step that needs the coroutine: a callback,
/// or the end of the call.
struct NextStep<'a> {
    job: &'a Job,
}

impl Future for NextStep<'_> {
    type Output = Step;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Step> {
        let mut exchange = self.job.lock();
        match std::mem::replace(&mut exchange.step, Step::AtHome) {
            step @ (Step::Callback(_) | Step::Done) => Poll::Ready(step),
            other => {
                exchange.step = other;
                exchange.waker = Some(cx.waker().clone());
                Poll::Pending
            }
        }
    }
}
