//! Brief busy-waiting between threads of one runtime: the scheduler
//! waiting for a helper's wake, a helper waiting for its next job or for a
//! callback's answer from home. Waking a sleeping thread costs more than
//! these waits usually last.

use std::time::{Duration, Instant};

/// Polls `probe` until it gives a value or `limit` has passed, reading the
/// clock every 64 polls.
pub(crate) fn poll_for<T>(limit: Duration, mut probe: impl FnMut() -> Option<T>) -> Option<T> {
    let start = Instant::now();
    loop {
        for _ in 0..64 {
            if let Some(value) = probe() {
                return Some(value);
            }
            std::hint::spin_loop();
        }
        if start.elapsed() >= limit {
            return None;
        }
    }
}
