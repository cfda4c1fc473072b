//! Strict mode: the stale-pointer detector.
//!
//! A shim writes exactly one thing into the coroutine stack: its frame (the
//! return value, `errno`), through a pointer it must re-derive by the
//! stack-top delta. In strict mode each foreign call's frame lives on pages
//! of its own (the call path copies it there and holds a [`StrictFrame`]
//! while the call runs); when a callback moves the stack during the call,
//! the aliases of those pages in every older window become read-only until
//! the call returns. A shim that skipped the delta writes through such an
//! alias and faults at once; everything else on the stack stays writable,
//! so C writing an out-parameter or user data on the coroutine stack after
//! a move (correct: old windows stay mapped) passes.
//!
//! Every protection is also entered in a process-wide registry that the
//! fault handler reads, so a stale write from any thread gets the message.
//!
//! Failure policy: a protection that cannot be made (often the mapping
//! limit: it splits the window's mapping) fails the callback that moved the
//! stack, with the reason; a protection that cannot be lifted aborts, since
//! the stack could not be used again.

use super::{CoroutineStack, Window};
use crate::os;
use std::cell::RefCell;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Pages a live strict-mode foreign call keeps its frame on, as depths below
/// the top of whichever window: the same depths in every alias.
#[derive(Clone, Copy, Debug)]
struct FrameDepths {
    /// Depth of the highest address of the pages (their end).
    shallow: usize,
    /// Depth of the lowest address (their start).
    deep: usize,
}

/// A protected alias of a frame's pages.
#[derive(Clone, Copy, Debug)]
struct Protection {
    addr: usize,
    len: usize,
    /// Index of the frame in `StrictState::frames`.
    frame: usize,
    /// Where the protection is entered in the registry.
    registry_slot: usize,
}

/// The strict-mode state of one coroutine stack.
#[derive(Default)]
pub(crate) struct StrictState {
    /// Frames of live strict-mode foreign calls, outermost first.
    frames: RefCell<Vec<FrameDepths>>,
    /// Aliases made read-only and not yet lifted.
    protections: RefCell<Vec<Protection>>,
}

impl StrictState {
    /// Whether nothing is protected and no strict call is live.
    pub(crate) fn is_idle(&self) -> bool {
        self.frames.borrow().is_empty() && self.protections.borrow().is_empty()
    }
}

/// Held by the call path while a strict-mode foreign call runs: the call's
/// frame lives on the pages `[low, high)`. Dropping it lifts every
/// protection of those pages.
pub(crate) struct StrictFrame<'a> {
    stack: &'a CoroutineStack,
    index: usize,
}

impl<'a> StrictFrame<'a> {
    /// Registers the frame pages `[low, high)` (page-aligned, in one of the
    /// stack's windows) of a call about to start.
    pub(crate) fn enter(stack: &'a CoroutineStack, low: usize, high: usize) -> Self {
        let Some((_, shallow)) = stack.locate(high) else {
            unreachable!("a strict-mode frame outside the coroutine's windows");
        };
        let mut frames = stack.strict.frames.borrow_mut();
        frames.push(FrameDepths {
            shallow,
            deep: shallow + (high - low),
        });
        StrictFrame {
            stack,
            index: frames.len() - 1,
        }
    }
}

impl Drop for StrictFrame<'_> {
    fn drop(&mut self) {
        let state = &self.stack.strict;
        let mut protections = state.protections.borrow_mut();
        protections.retain(|p| {
            if p.frame != self.index {
                return true;
            }
            // SAFETY: the range is an alias of frame pages in a window of
            // this stack, which stays mapped while the coroutine lives.
            if let Err(err) = unsafe { os::protect(p.addr, p.len, true) } {
                eprintln!(
                    "coffi strict mode: making a foreign call's frame writable again failed: \
                     {err}; aborting"
                );
                std::process::abort();
            }
            registry::remove(p.registry_slot);
            false
        });
        state.frames.borrow_mut().truncate(self.index);
    }
}

/// Makes the protections inside `window` again, after it was mapped anew.
pub(crate) fn reprotect(stack: &CoroutineStack, window: &Window) -> std::io::Result<()> {
    for p in stack.strict.protections.borrow().iter() {
        if window.contains(p.addr) {
            // SAFETY: as in `protect_after_relocation`: an alias of a live
            // frame's pages, which only the shim writes, through the newest
            // window.
            unsafe { os::protect(p.addr, p.len, false) }?;
        }
    }
    Ok(())
}

/// After a relocation made during a foreign call: makes the aliases of every
/// live frame's pages in every window but the newest read-only.
///
/// Panics with the reason when a protection cannot be made.
pub(crate) fn protect_after_relocation(stack: &CoroutineStack) {
    let newest = stack.newest();
    let frames = stack.strict.frames.borrow();
    let mut protections = stack.strict.protections.borrow_mut();
    let windows: Vec<Window> = stack.windows().collect();
    for (window_index, window) in windows.iter().enumerate().take(windows.len() - 1) {
        for (frame, depths) in frames.iter().enumerate() {
            if depths.deep > window.len() {
                continue;
            }
            let addr = window.top - depths.deep;
            if protections.iter().any(|p| p.addr == addr) {
                continue;
            }
            let len = depths.deep - depths.shallow;
            // SAFETY: the range is an alias of a live frame's pages in a
            // window of this stack; only the shim writes there, through the
            // newest window.
            if let Err(err) = unsafe { os::protect(addr, len, false) } {
                panic!(
                    "{}",
                    os::os_error(
                        "coffi strict mode: write-protecting the old alias of a foreign call's frame",
                        err
                    )
                );
            }
            let Some(registry_slot) = registry::insert(registry::Entry {
                start: addr,
                end: addr + len,
                window_index,
                window: (window.bottom, window.top),
                newest: (newest.bottom, newest.top),
            }) else {
                // SAFETY: as above; lifting the protection just made.
                let _ = unsafe { os::protect(addr, len, true) };
                panic!(
                    "coffi strict mode: more than {} protected frame aliases at once in this \
                     process; nest fewer foreign calls or turn strict mode off",
                    registry::SLOTS
                );
            };
            protections.push(Protection {
                addr,
                len,
                frame,
                registry_slot,
            });
        }
    }
}

pub(crate) use registry::find as find_protected;

/// The process-wide table of protected ranges, read by the fault handler:
/// lock-free, allocation-free, so it can be read inside a signal handler.
mod registry {
    use super::{AtomicUsize, Ordering};

    /// Ranges that can be protected at once in the whole process.
    pub(crate) const SLOTS: usize = 4096;

    const FREE: usize = 0;
    const WRITING: usize = 1;
    const READY: usize = 2;

    /// What the fault handler tells of a protected range.
    #[derive(Clone, Copy, Debug)]
    pub(crate) struct Entry {
        pub(crate) start: usize,
        pub(crate) end: usize,
        pub(crate) window_index: usize,
        /// Bottom and top of the old window the range is in.
        pub(crate) window: (usize, usize),
        /// Bottom and top of the window the stack moved to.
        pub(crate) newest: (usize, usize),
    }

    struct Slot {
        state: AtomicUsize,
        words: [AtomicUsize; 7],
    }

    #[allow(
        clippy::declare_interior_mutable_const,
        reason = "the constant initialises each slot of the static table"
    )]
    const EMPTY: Slot = Slot {
        state: AtomicUsize::new(FREE),
        words: [const { AtomicUsize::new(0) }; 7],
    };

    static TABLE: [Slot; SLOTS] = [EMPTY; SLOTS];

    /// Enters a range; `None` when the table is full.
    pub(crate) fn insert(entry: Entry) -> Option<usize> {
        let index = TABLE.iter().position(|slot| {
            slot.state
                .compare_exchange(FREE, WRITING, Ordering::Acquire, Ordering::Relaxed)
                .is_ok()
        })?;
        let slot = &TABLE[index];
        let words = [
            entry.start,
            entry.end,
            entry.window_index,
            entry.window.0,
            entry.window.1,
            entry.newest.0,
            entry.newest.1,
        ];
        for (cell, word) in slot.words.iter().zip(words) {
            cell.store(word, Ordering::Relaxed);
        }
        slot.state.store(READY, Ordering::Release);
        Some(index)
    }

    /// Removes the range entered at `index`.
    pub(crate) fn remove(index: usize) {
        TABLE[index].state.store(FREE, Ordering::Release);
    }

    /// The protected range holding `addr`, if any (async-signal-safe).
    pub(crate) fn find(addr: usize) -> Option<Entry> {
        TABLE.iter().find_map(|slot| {
            if slot.state.load(Ordering::Acquire) != READY {
                return None;
            }
            let w: [usize; 7] = std::array::from_fn(|i| slot.words[i].load(Ordering::Relaxed));
            (w[0] <= addr && addr < w[1]).then_some(Entry {
                start: w[0],
                end: w[1],
                window_index: w[2],
                window: (w[3], w[4]),
                newest: (w[5], w[6]),
            })
        })
    }
}
