//! The helper threads that run blocking foreign calls.
//!
//! Threads start on demand, up to `Builder::blocking_threads`, each with a
//! stack of `Builder::scheduler_stack` bytes (C runs there as it would on
//! the scheduler stack); calls beyond the limit wait in order. A thread
//! idle for [`IDLE_EXIT`] exits. When the runtime ends (every coroutine has
//! finished, so no call is in flight), the pool closes its queue and joins
//! its threads.

use crate::callpath::Job;
use crate::error::{Error, ErrorKind};
use crossbeam_channel::{Receiver, RecvTimeoutError, Sender};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::Duration;

/// How long a helper thread waits for work before it exits.
pub(crate) const IDLE_EXIT: Duration = Duration::from_secs(10);

#[derive(Default)]
struct Counts {
    threads: usize,
    idle: usize,
    queued: usize,
    /// Jobs taken by a helper and not finished.
    running: usize,
}

struct Shared {
    counts: Mutex<Counts>,
}

impl Shared {
    fn counts(&self) -> MutexGuard<'_, Counts> {
        // The counters stay consistent: no code panics while holding them.
        self.counts.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// A runtime's helper threads.
pub(crate) struct BlockingPool {
    jobs: Option<Sender<Arc<Job>>>,
    receiver: Receiver<Arc<Job>>,
    shared: Arc<Shared>,
    max_threads: usize,
    stack_size: usize,
    handles: Mutex<Vec<JoinHandle<()>>>,
}

impl BlockingPool {
    pub(crate) fn new(max_threads: usize, stack_size: usize) -> Self {
        let (jobs, receiver) = crossbeam_channel::unbounded();
        BlockingPool {
            jobs: Some(jobs),
            receiver,
            shared: Arc::new(Shared {
                counts: Mutex::new(Counts::default()),
            }),
            max_threads,
            stack_size,
            handles: Mutex::new(Vec::new()),
        }
    }

    /// Queues `job`, starting a helper thread when none is free and the
    /// limit allows.
    pub(crate) fn submit(&self, job: Arc<Job>) -> Result<(), Error> {
        let mut counts = self.shared.counts();
        if counts.queued + 1 > counts.idle && counts.threads < self.max_threads {
            match self.start_thread() {
                Ok(handle) => {
                    counts.threads += 1;
                    let mut handles = self.handles.lock().unwrap_or_else(|e| e.into_inner());
                    // Forget the handles of helpers that exited once they
                    // are as many as the live ones: starting a thousand
                    // helpers does not look through the list a thousand
                    // times.
                    if handles.len() >= 2 * counts.threads {
                        handles.retain(|h| !h.is_finished());
                    }
                    handles.push(handle);
                }
                Err(err) if counts.threads == 0 => {
                    return Err(Error::new(
                        ErrorKind::Os,
                        format!(
                            "coffi: starting a helper thread for a blocking foreign call failed: \
                             {err}; lower Builder::scheduler_stack (each helper's stack size) or \
                             raise the thread limit (`ulimit -u`)"
                        ),
                    ));
                }
                // Threads exist: the call waits for one of them.
                Err(_) => {}
            }
        }
        counts.queued += 1;
        let Some(jobs) = &self.jobs else {
            unreachable!("the pool's queue closes only when it is dropped");
        };
        // The pool keeps a receiver, so the queue is open.
        let _ = jobs.send(job);
        Ok(())
    }

    /// In a forked child, where none of the helper threads exist: forgets
    /// them (they cannot be joined), so the next call starts a new one.
    ///
    /// A lock a parent thread held at the fork stays locked in the child:
    /// then the pool is left as it is (a blocking call in the child waits
    /// for ever) rather than deadlock the fork.
    pub(crate) fn forget_threads_after_fork(&self) {
        let (Ok(mut counts), Ok(mut handles)) =
            (self.shared.counts.try_lock(), self.handles.try_lock())
        else {
            return;
        };
        counts.threads = 0;
        counts.idle = 0;
        counts.running = 0;
        counts.queued = self.receiver.len();
        std::mem::forget(std::mem::take(&mut *handles));
    }

    /// Whether a job is queued or running.
    pub(crate) fn busy(&self) -> bool {
        let counts = self.shared.counts();
        counts.queued + counts.running > 0
    }

    fn start_thread(&self) -> std::io::Result<JoinHandle<()>> {
        let shared = Arc::clone(&self.shared);
        let jobs = self.receiver.clone();
        std::thread::Builder::new()
            .name("coffi-blocking".into())
            .stack_size(self.stack_size)
            .spawn(move || helper(&shared, &jobs))
    }
}

/// A helper thread: runs jobs until it has been idle for [`IDLE_EXIT`] or
/// the pool is gone.
fn helper(shared: &Shared, jobs: &Receiver<Arc<Job>>) {
    loop {
        shared.counts().idle += 1;
        match next_job(jobs) {
            Ok(job) => {
                {
                    let mut counts = shared.counts();
                    counts.idle -= 1;
                    counts.queued -= 1;
                    counts.running += 1;
                }
                job.run();
                shared.counts().running -= 1;
            }
            Err(RecvTimeoutError::Timeout) => {
                let mut counts = shared.counts();
                counts.idle -= 1;
                if counts.queued == 0 {
                    counts.threads -= 1;
                    return;
                }
            }
            Err(RecvTimeoutError::Disconnected) => {
                let mut counts = shared.counts();
                counts.idle -= 1;
                counts.threads -= 1;
                return;
            }
        }
    }
}

/// How long a helper that just finished a job polls for the next before it
/// sleeps: coroutines often make their next blocking call right away, and a
/// futex wake-up costs more than most short C calls take.
const SPIN_FOR_JOB: Duration = Duration::from_micros(50);

/// CPUs beyond the one the scheduler thread needs: how many helpers may
/// spin at once.
pub(crate) fn spare_cpus() -> usize {
    // `available_parallelism` reads cgroup files: asked once.
    static SPARE: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *SPARE.get_or_init(|| std::thread::available_parallelism().map_or(0, |n| n.get() - 1))
}

/// The next job: polled for [`SPIN_FOR_JOB`], then waited for up to
/// [`IDLE_EXIT`].
/// (Not under valgrind, which runs one thread at a time: a spinning thread
/// would only hold back the one it waits for.)
/// At most one helper fewer than there are CPUs spins at a time (none on a
/// single CPU), so the scheduler thread that hands out the jobs and takes
/// their results keeps a CPU; the other helpers sleep at once.
fn next_job(jobs: &Receiver<Arc<Job>>) -> Result<Arc<Job>, RecvTimeoutError> {
    static SPINNING: AtomicUsize = AtomicUsize::new(0);
    if !crate::valgrind::running_on_valgrind()
        && SPINNING.fetch_add(1, Ordering::Relaxed) < spare_cpus()
    {
        let found = crate::spin::poll_for(SPIN_FOR_JOB, || jobs.try_recv().ok());
        SPINNING.fetch_sub(1, Ordering::Relaxed);
        if let Some(job) = found {
            return Ok(job);
        }
    } else {
        SPINNING.fetch_sub(1, Ordering::Relaxed);
    }
    jobs.recv_timeout(IDLE_EXIT)
}

impl Drop for BlockingPool {
    fn drop(&mut self) {
        // Closing the queue ends every idle helper; none is busy, since every
        // coroutine (and so every blocking call) has finished.
        self.jobs = None;
        let handles = std::mem::take(self.handles.get_mut().unwrap_or_else(|e| e.into_inner()));
        for handle in handles {
            let _ = handle.join();
        }
    }
}
