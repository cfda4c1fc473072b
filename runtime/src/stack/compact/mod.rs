//! Idle-stack compaction (`Builder::compact_idle_stacks`): a coroutine
//! parked for a while gives its stack pages back, keeping only the bytes it
//! uses, and gets them back at the same addresses before anything touches
//! them again.
//!
//! Compacting a parked coroutine whose stack lies in its first window (it
//! never grew, or shrank back, and has no blocking call in flight):
//!
//! 1. its [`Compaction`] is published in its chunk's table (so the fault
//!    handler of any thread finds it) as `COMPACTING`;
//! 2. the pages from its stack pointer to the top become a guard region
//!    (`MADV_GUARD_INSTALL`): from here any user-mode access, from any
//!    thread, faults;
//! 3. the used bytes are read from the backing (`pread`) into the heap, and
//!    the first window's pages are punched out of the backing;
//! 4. the state becomes `COMPACTED`.
//!
//! Restoring, by the scheduler before it resumes (or unwinds) the
//! coroutine, or by the fault handler of whichever thread touched the
//! pages: the thread that moves the state from `COMPACTED` to `RESTORING`
//! writes the bytes back into the backing (`pwrite`, which allocates the
//! page), removes the guard and sets `RESIDENT`; a thread that finds
//! `COMPACTING` or `RESTORING` waits for the other side, then retries its
//! access. Everything the handler does is a system call or an atomic, so it
//! is async-signal-safe, and the bytes come back at the same addresses, so
//! pointers into the stack stay valid.
//!
//! Not covered: an access by the kernel on behalf of another thread (a
//! `read(2)` into a buffer on the parked stack, a `futex` wait on a word
//! there) meets the guard region inside the kernel and fails with `EFAULT`
//! instead of faulting into the handler. So compaction is off unless the
//! program asks for it, and its documentation says so.

mod io;
mod registry;
pub(crate) mod switch_depth;
mod table;

pub(crate) use table::ChunkTable;

use crate::os;
use std::cell::UnsafeCell;
use std::os::fd::RawFd;
use std::sync::atomic::{AtomicPtr, AtomicU8, Ordering};

const RESIDENT: u8 = 0;
const COMPACTING: u8 = 1;
const COMPACTED: u8 = 2;
const RESTORING: u8 = 3;

/// `MADV_GUARD_REMOVE` (Linux 6.13).
const MADV_GUARD_REMOVE: libc::c_int = 103;

/// Where a compacted stack's bytes go back to.
#[derive(Debug, Default)]
struct Saved {
    /// File offset of the first saved byte.
    offset: usize,
    /// The guarded pages: `[guard, guard + guard_len)`.
    guard: usize,
    guard_len: usize,
    /// The bytes from the stack pointer (less what the switch wrote below
    /// it: [`switch_depth`]) to the top.
    bytes: Vec<u8>,
}

/// The compaction state of one coroutine stack, shared with the fault
/// handler of every thread.
#[derive(Debug)]
pub(crate) struct Compaction {
    state: AtomicU8,
    /// The backing (the same number in a forked child, where it names the
    /// child's copy).
    fd: RawFd,
    /// Written by the scheduler while `COMPACTING`, read by the one thread
    /// that moved the state to `RESTORING`.
    saved: UnsafeCell<Saved>,
}

// SAFETY: `saved` is written only by the scheduler thread while the state is
// `COMPACTING` (published by a release store of `COMPACTED`), and read only
// by the thread that won the `COMPACTED -> RESTORING` exchange (acquire),
// until it stores `RESIDENT`; the state is atomic.
unsafe impl Sync for Compaction {}

impl Compaction {
    pub(crate) fn new(fd: RawFd) -> Self {
        Compaction {
            state: AtomicU8::new(RESIDENT),
            fd,
            saved: UnsafeCell::new(Saved::default()),
        }
    }

    /// Whether the stack's pages are (being) given back.
    pub(crate) fn is_compacted(&self) -> bool {
        self.state.load(Ordering::Acquire) != RESIDENT
    }

    /// Compacts: guards `[guard, guard + guard_len)` (the pages of the
    /// stack's used bytes in its first window), saves the `used` bytes
    /// below `top`, which live at file offset `cell_end - used`, and punches
    /// `[release_from, cell_end)` out of the backing. `entry` is the
    /// stack's place in its chunk's table.
    ///
    /// Returns false, with nothing changed, when the guard cannot be made.
    ///
    /// # Safety
    ///
    /// The stack must belong to a parked coroutine whose live bytes are the
    /// `used` bytes below `top`, in its first window, on the calling
    /// (scheduler) thread; `entry` must be the stack's entry.
    pub(crate) unsafe fn compact(&self, entry: &AtomicPtr<Compaction>, region: Region) -> bool {
        debug_assert_eq!(self.state.load(Ordering::Relaxed), RESIDENT);
        self.state.store(COMPACTING, Ordering::Relaxed);
        entry.store(std::ptr::from_ref(self).cast_mut(), Ordering::Release);
        // SAFETY: the guarded pages are the parked coroutine's used pages;
        // from here any access faults and waits in the handler until the
        // bytes are back.
        if unsafe { os::install_guard(region.guard, region.guard_len) }.is_err() {
            entry.store(std::ptr::null_mut(), Ordering::Release);
            self.state.store(RESIDENT, Ordering::Release);
            return false;
        }
        // SAFETY: only this thread touches `saved` while `COMPACTING`.
        let saved = unsafe { &mut *self.saved.get() };
        saved.offset = region.cell_end - region.used;
        saved.guard = region.guard;
        saved.guard_len = region.guard_len;
        saved.bytes.resize(region.used, 0);
        if let Err(err) = io::read_exact_at(self.fd, &mut saved.bytes, saved.offset) {
            // The guard stays until the bytes are back: restoring with the
            // bytes unread would lose them, so give up loudly.
            io::fail("reading a parked coroutine's stack to compact it", err);
        }
        os::punch_hole_raw(
            self.fd,
            region.release_from,
            region.cell_end - region.release_from,
        );
        self.state.store(COMPACTED, Ordering::Release);
        true
    }

    /// Brings the bytes back if they are away (from any thread, in a fault
    /// handler too); returns once the stack is resident.
    pub(crate) fn restore(&self) {
        loop {
            match self.state.load(Ordering::Acquire) {
                RESIDENT => return,
                COMPACTED => {
                    if self
                        .state
                        .compare_exchange(
                            COMPACTED,
                            RESTORING,
                            Ordering::Acquire,
                            Ordering::Relaxed,
                        )
                        .is_ok()
                    {
                        self.write_back(true);
                        self.state.store(RESIDENT, Ordering::Release);
                        return;
                    }
                }
                _ => std::hint::spin_loop(),
            }
        }
    }

    /// Writes the saved bytes into the backing and, with `unguard`, removes
    /// the guard.
    fn write_back(&self, unguard: bool) {
        // SAFETY: the caller won the exchange to `RESTORING` (or is the only
        // thread of a forked child): no other thread touches `saved`.
        let saved = unsafe { &*self.saved.get() };
        if let Err(err) = io::write_all_at(self.fd, &saved.bytes, saved.offset) {
            io::fail("writing a compacted coroutine's stack back", err);
        }
        if unguard {
            // SAFETY: the guard this stack's compaction installed; the bytes
            // are back under it.
            let rc = unsafe {
                libc::madvise(
                    saved.guard as *mut libc::c_void,
                    saved.guard_len,
                    MADV_GUARD_REMOVE,
                )
            };
            if rc != 0 {
                io::fail(
                    "removing the guard of a compacted coroutine's stack",
                    std::io::Error::last_os_error(),
                );
            }
        }
    }

    /// In a forked child, after the chunk was mapped again from the copy of
    /// the backing (which dropped every guard): a compacted stack gets its
    /// guard again; one a thread of the parent was restoring (that thread
    /// did not come along) is restored here.
    pub(crate) fn after_fork_remap(&self) -> std::io::Result<()> {
        match self.state.load(Ordering::Acquire) {
            COMPACTED => {
                // SAFETY: read-only here: nothing else runs in the child yet.
                let saved = unsafe { &*self.saved.get() };
                // SAFETY: as in `compact`.
                unsafe { os::install_guard(saved.guard, saved.guard_len) }
            }
            RESTORING => {
                self.write_back(false);
                self.state.store(RESIDENT, Ordering::Release);
                Ok(())
            }
            _ => Ok(()),
        }
    }
}

/// What [`Compaction::compact`] guards, saves and releases.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Region {
    pub(crate) guard: usize,
    pub(crate) guard_len: usize,
    pub(crate) used: usize,
    /// File offset of the stack top (the end of the slot's cell).
    pub(crate) cell_end: usize,
    /// File offset from which the first window's pages are released.
    pub(crate) release_from: usize,
}

/// In the fault handler: if `addr` lies in a compacted stack's pages,
/// brings them back and returns true (the access is then retried).
pub(crate) fn restore_for_fault(addr: usize) -> bool {
    let Some((entry, offset_in_cell)) = registry::find(addr) else {
        return false;
    };
    // A cell's own guard, below its first window: an overflow, not ours.
    if offset_in_cell < os::guard_size() {
        return false;
    }
    let compaction = entry.load(Ordering::Acquire);
    // SAFETY: a set entry points to a live `Compaction`: the scheduler
    // clears it before the stack holding the `Compaction` is freed.
    let Some(compaction) = (unsafe { compaction.as_ref() }) else {
        return false;
    };
    // Resident already (another thread restored it since this access
    // faulted) or brought back here: the access is retried.
    compaction.restore();
    true
}

impl super::CoroutineStack {
    /// Compacts the stack of this parked coroutine if it can be: the
    /// runtime compacts idle stacks, the coroutine's live bytes lie in its
    /// first window (it never grew, and keeps no grown spare), no blocking
    /// call or strict-mode frame is live. Returns whether it did.
    ///
    /// `switch_depth` is how far below the recorded stack pointer the
    /// switch to the scheduler wrote ([`switch_depth::below_recorded_sp`]).
    ///
    /// # Safety
    ///
    /// The coroutine must be suspended (parked) and stay so until
    /// [`Self::restore_before_running`] runs; `fd` must be the backing.
    pub(crate) unsafe fn try_compact(&self, fd: RawFd, switch_depth: usize) -> bool {
        // SAFETY: the entry lives in the chunk's table, which outlives the
        // stacks carved from it.
        let Some(entry) = (unsafe { self.compaction_entry.as_ref() }) else {
            return false;
        };
        let first = self.first();
        let sp = self.parked_sp.get().saturating_sub(switch_depth);
        if self.windows().count() != 1
            || self.spare_len() != 0
            || self.blocking_calls.get() != 0
            || !self.strict.is_idle()
            || !(first.bottom <= sp && sp < first.top)
        {
            return false;
        }
        let compaction = self
            .compaction
            .get_or_init(|| Box::new(Compaction::new(fd)));
        if compaction.is_compacted() {
            return false;
        }
        let guard = sp & !(os::page_size() - 1);
        let region = Region {
            guard,
            guard_len: first.top - guard,
            used: first.top - sp,
            cell_end: self.layout.cell_end,
            release_from: self.layout.cell_end - first.len(),
        };
        // SAFETY: forwarded from the caller; the region is the used part of
        // the first window, whose bytes live below `cell_end`.
        unsafe { compaction.compact(entry, region) }
    }

    /// Brings a compacted stack's bytes back before its coroutine runs (or
    /// is unwound); returns whether it had been compacted.
    pub(crate) fn restore_before_running(&self) -> bool {
        // SAFETY: as in `try_compact`.
        let Some(entry) = (unsafe { self.compaction_entry.as_ref() }) else {
            return false;
        };
        if entry.load(Ordering::Acquire).is_null() {
            return false;
        }
        if let Some(compaction) = self.compaction.get() {
            compaction.restore();
        }
        entry.store(std::ptr::null_mut(), Ordering::Release);
        true
    }

    /// Whether the stack's bytes are away.
    pub(crate) fn is_compacted(&self) -> bool {
        self.compaction.get().is_some_and(|c| c.is_compacted())
    }

    /// Before the stack (and its `Compaction`) is freed: its entry must not
    /// point to it any more. (A coroutine dropped while parked, without
    /// `as_running`, was unwound on its stack, which brought it back.)
    pub(crate) fn forget_compaction(&self) {
        // SAFETY: as in `try_compact`.
        if let Some(entry) = unsafe { self.compaction_entry.as_ref() } {
            if let Some(compaction) = self.compaction.get() {
                compaction.restore();
            }
            entry.store(std::ptr::null_mut(), Ordering::Release);
        }
    }
}
