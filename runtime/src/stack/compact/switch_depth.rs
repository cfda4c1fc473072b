//! How far below the stack pointer `suspend` records the switch to the
//! scheduler writes (corosensei's `Yielder::suspend` frames, the return
//! address and callee-saved registers it pushes): those bytes are live while
//! the coroutine is parked, so compaction keeps them with the rest.
//!
//! The depth depends on the build (an unoptimized build's frames are far
//! larger), so it is measured once per process: a throwaway coroutine
//! paints the free part of its stack, records its stack pointer as
//! `suspend` does, suspends through the same `Yielder::suspend` (the
//! scheduler names its yield type and value, so that the switch measured
//! is its own), and finds the deepest byte the switch changed.

use crate::arch;
use corosensei::stack::DefaultStack;
use corosensei::{Coroutine, CoroutineResult, Yielder};
use std::sync::OnceLock;

/// Painted below the stack pointer before the switch.
const PAINT: u8 = 0xc5;
/// Bytes painted: far more than any switch takes.
const PAINTED: usize = 32 * 1024;
/// Added to the measured depth: room for frames that differ by a few
/// bytes between call sites.
const MARGIN: usize = 256;

/// Bytes below the stack pointer recorded in `suspend` that a parked
/// coroutine still uses, when the scheduler suspends with `yielded()`
/// (measured with the first caller's type; the runtime has one).
pub(crate) fn below_recorded_sp<S: 'static>(yielded: fn() -> S) -> usize {
    static DEPTH: OnceLock<usize> = OnceLock::new();
    *DEPTH.get_or_init(|| measure(yielded).map_or(PAINTED, |depth| depth + MARGIN))
}

/// The depth the switch wrote below the recorded stack pointer, or `None`
/// if it could not be measured (the caller then keeps [`PAINTED`] bytes).
fn measure<S: 'static>(yielded: fn() -> S) -> Option<usize> {
    let stack = DefaultStack::new(4 * PAINTED).ok()?;
    let mut coroutine = Coroutine::with_stack(stack, move |yielder: &Yielder<(), S>, ()| {
        let here = arch::stack_pointer();
        let low = here - PAINTED;
        // Paint from the bottom up, leaving the frames of this closure
        // (above `here`) alone; no call runs below `here` meanwhile.
        for addr in low..here - MARGIN {
            // SAFETY: free stack of this coroutine, below every live frame;
            // nothing else uses it.
            unsafe { (addr as *mut u8).write_volatile(PAINT) };
        }
        let recorded = arch::stack_pointer();
        yielder.suspend(yielded());
        let deepest = (low..recorded)
            // SAFETY: as above; the switch may have written some of it.
            .find(|&addr| unsafe { (addr as *const u8).read_volatile() } != PAINT)
            .unwrap_or(recorded);
        recorded - deepest
    });
    match coroutine.resume(()) {
        CoroutineResult::Yield(_) => {}
        CoroutineResult::Return(_) => return None,
    }
    match coroutine.resume(()) {
        CoroutineResult::Return(depth) => Some(depth),
        CoroutineResult::Yield(_) => None,
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_switch_writes_a_little_below_the_recorded_stack_pointer() {
        let depth = super::measure(|| ()).expect("measured");
        assert!(depth > 0 && depth < 8 * 1024, "{depth}");
    }
}
