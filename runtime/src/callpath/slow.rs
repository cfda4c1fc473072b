//! The slow-call detector: an ordinary foreign call that keeps the
//! scheduler thread longer than `Builder::slow_call_warning` stalls every
//! coroutine of the thread; it is counted, and reported once per function.

use crate::context::ThreadCtx;
use crate::stats::bump;
use std::collections::HashSet;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Functions already reported, process-wide.
static REPORTED: Mutex<Option<HashSet<&'static str>>> = Mutex::new(None);

/// Runs `call` and reports it when it took longer than the thread's
/// threshold.
pub(super) fn timed(ctx: &ThreadCtx, name: &'static str, call: impl FnOnce()) {
    let start = Instant::now();
    call();
    let took = start.elapsed();
    let limit = Duration::from_nanos(ctx.slow_call_nanos.get());
    if took <= limit {
        return;
    }
    bump(&ctx.stats.slow_calls);
    let mut reported = REPORTED.lock().unwrap_or_else(|e| e.into_inner());
    if reported.get_or_insert_with(HashSet::new).insert(name) {
        eprintln!(
            "coffi: the foreign call `{name}` took {took:?} on the scheduler thread (more than \
             Builder::slow_call_warning's {limit:?}), stalling every coroutine of the thread; \
             if it blocks (sleeps, waits for I/O or a lock), declare it with \
             #[coffi::foreign_call(blocking)] so it runs on a helper thread"
        );
    }
}
