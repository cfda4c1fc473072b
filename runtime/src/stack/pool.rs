//! The per-runtime backing object and the pool of coroutine stacks.
//!
//! One sparse `memfd` holds every stack of a runtime, one slot each, so the
//! runtime needs one file descriptor however many coroutines it runs. The
//! slots come in chunks (see [`super::chunk`]): one mapping shows the first
//! windows of up to [`MAX_CHUNK_SLOTS`] coroutines, so the mappings a
//! runtime holds grow with the coroutines it runs divided by a thousand,
//! not one each. Finished stacks keep their pages and grown spare window in
//! a small warm set so spawning does not pay for page faults; beyond it,
//! the spare is unmapped and the slot's pages are released with
//! `PUNCH_HOLE` (its first window stays carved, for the next coroutine).

use super::chunk::{CarvedSlot, Chunk, Geometry};
use super::{CoroutineStack, layout::SlotLayout};
use crate::error::Error;
use crate::os;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};

/// Finished stacks kept with their pages for the next spawn.
pub(crate) const WARM_STACKS: usize = 64;

/// Slots of the first chunk; each next chunk has twice as many, up to
/// [`MAX_CHUNK_SLOTS`], so a runtime with few coroutines keeps a small file
/// (`RLIMIT_FSIZE` applies to it) and a small mapping.
const FIRST_CHUNK_SLOTS: usize = 16;

/// Slots of the largest chunk: a thousand coroutines per mapping.
pub(crate) const MAX_CHUNK_SLOTS: usize = 1024;

/// The stacks of one runtime.
pub(crate) struct StackPool {
    fd: OwnedFd,
    geometry: Geometry,
    /// Oldest first; the last one is carved from.
    chunks: Vec<Chunk>,
    /// Finished stacks with their pages (up to their kept windows).
    #[allow(
        clippy::vec_box,
        reason = "a running coroutine's stack must not move: it is handed out boxed"
    )]
    warm: Vec<Box<CoroutineStack>>,
    /// Released slots: carved, without pages.
    cold: Vec<CarvedSlot>,
    /// The stacks handed out, by slot (null where none is): `fork` maps
    /// every window of this runtime again in the child.
    handed_out: Vec<*const CoroutineStack>,
    /// Whether chunks get compaction tables (`Builder::compact_idle_stacks`).
    compaction: bool,
}

impl StackPool {
    /// A pool of stacks that start at `initial` bytes and grow up to
    /// `limit`; with `compaction`, ready for idle-stack compaction.
    pub(crate) fn new(initial: usize, limit: usize, compaction: bool) -> Result<Self, Error> {
        let fd = os::memfd().map_err(|e| os::os_error("creating the stack backing (memfd)", e))?;
        Ok(StackPool {
            fd,
            geometry: Geometry {
                initial,
                guard: os::guard_size(),
                limit,
            },
            chunks: Vec::new(),
            warm: Vec::new(),
            cold: Vec::new(),
            handed_out: Vec::new(),
            compaction,
        })
    }

    /// The backing object, for relocations.
    pub(crate) fn fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }

    /// A stack for a new coroutine.
    pub(crate) fn acquire(&mut self) -> Result<Box<CoroutineStack>, Error> {
        let stack = self.take_stack()?;
        if self.handed_out.len() <= stack.slot {
            let len = (stack.slot + 1).max(self.handed_out.len() * 2);
            self.handed_out.resize(len, std::ptr::null());
        }
        self.handed_out[stack.slot] = &*stack;
        Ok(stack)
    }

    /// Every stack of this runtime: handed out, and kept warm.
    pub(crate) fn for_each_stack(&self, mut f: impl FnMut(&CoroutineStack)) {
        for &stack in self.handed_out.iter().filter(|s| !s.is_null()) {
            // SAFETY: a handed-out stack is boxed and alive until `release`
            // clears its entry.
            f(unsafe { &*stack });
        }
        self.warm.iter().for_each(|stack| f(stack));
    }

    /// Every chunk of this runtime.
    pub(crate) fn chunks(&self) -> &[Chunk] {
        &self.chunks
    }

    fn take_stack(&mut self) -> Result<Box<CoroutineStack>, Error> {
        if let Some(stack) = self.warm.pop() {
            return Ok(stack);
        }
        let slot = match self.cold.pop() {
            Some(slot) => slot,
            None => self.carve()?,
        };
        Ok(Box::new(CoroutineStack::new(slot, self.geometry.limit)))
    }

    /// Carves a never used slot, from the last chunk or a new one.
    fn carve(&mut self) -> Result<CarvedSlot, Error> {
        if let Some(chunk) = self.chunks.last_mut()
            && let Some(slot) = chunk
                .carve()
                .map_err(|e| os::os_error("carving a coroutine stack from its chunk", e))?
        {
            return Ok(slot);
        }
        let chunk = self.map_chunk()?;
        self.chunks.push(chunk);
        let carved = self.chunks.last_mut().map(Chunk::carve);
        match carved {
            Some(Ok(Some(slot))) => Ok(slot),
            Some(Err(err)) => Err(os::os_error(
                "carving a coroutine stack from its chunk",
                err,
            )),
            _ => unreachable!("a new chunk has a slot"),
        }
    }

    /// Sizes the file for a new chunk and maps it: twice the slots of the
    /// last chunk up to [`MAX_CHUNK_SLOTS`], fewer (down to one) if the file
    /// size limit or the address space (`RLIMIT_AS`) allows no more.
    fn map_chunk(&mut self) -> Result<Chunk, Error> {
        let (file_start, first_slot, wanted) = match self.chunks.last() {
            Some(last) => (
                last.file_end(),
                last.end_slot(),
                (last.slots() * 2).min(MAX_CHUNK_SLOTS),
            ),
            None => (0, 0, FIRST_CHUNK_SLOTS),
        };
        let room = os::file_size_limit().saturating_sub(file_start);
        let mut slots = wanted;
        while slots > 1 && self.geometry.chunk_file_len(slots) > room {
            slots /= 2;
        }
        loop {
            let file_end = file_start.saturating_add(self.geometry.chunk_file_len(slots));
            os::set_len(&self.fd, file_end)
                .map_err(|e| os::os_error("sizing the stack backing", e))?;
            match Chunk::map(
                self.fd.as_fd(),
                self.geometry,
                file_start,
                first_slot,
                slots,
                self.compaction,
            ) {
                Ok(chunk) => return Ok(chunk),
                Err(err) if err.raw_os_error() == Some(libc::ENOMEM) && slots > 1 => slots /= 2,
                Err(err) => {
                    let what = format!(
                        "mapping a chunk of {slots} coroutine stacks ({} KiB of address space: \
                         Builder::initial_stack plus a 64 KiB guard each)",
                        self.geometry.cell() * slots / 1024
                    );
                    return Err(os::os_error(&what, err));
                }
            }
        }
    }

    /// Takes back the stack of a finished coroutine.
    ///
    /// # Safety
    ///
    /// The coroutine that ran on `stack` must have finished and been dropped.
    pub(crate) unsafe fn release(&mut self, stack: Box<CoroutineStack>) {
        self.handed_out[stack.slot] = std::ptr::null();
        debug_assert!(
            !stack.is_compacted(),
            "a finished coroutine's stack is still compacted"
        );
        // SAFETY: forwarded from the caller.
        let super::Reset { kept, deepest } = unsafe { stack.reset() };
        let layout = stack.layout;
        if self.warm.len() < WARM_STACKS {
            // Keep the pages the kept windows show; give back the rest.
            self.punch(&layout, kept, deepest);
            self.warm.push(stack);
        } else {
            // SAFETY: the coroutine is gone; nothing refers to its windows.
            unsafe { stack.drop_spare() };
            self.punch(&layout, 0, deepest);
            self.cold.push(CarvedSlot {
                index: stack.slot,
                layout,
                first: stack.first(),
                compaction_entry: stack.compaction_entry,
            });
        }
    }

    /// Releases the pages of depths `[shallow, deep)` of a slot.
    fn punch(&self, layout: &SlotLayout, shallow: usize, deep: usize) {
        for (offset, len) in layout.file_ranges(shallow, deep) {
            os::punch_hole(&self.fd, offset, len);
        }
    }
}

impl Drop for StackPool {
    fn drop(&mut self) {
        for stack in self.warm.drain(..) {
            // SAFETY: warm stacks belong to finished coroutines only.
            unsafe {
                stack.drop_spare();
                stack.first().unmap();
            }
        }
        for slot in self.cold.drain(..) {
            // SAFETY: cold slots belong to no coroutine.
            unsafe { slot.first.unmap() };
        }
        // Handed-out stacks hold first windows too: the runtime drops every
        // coroutine before its pool (see `Runtime`'s fields).
        for chunk in self.chunks.drain(..) {
            // SAFETY: no coroutine is left on any window of the chunk.
            unsafe { chunk.unmap() };
        }
        // Closing the memfd frees every page of the backing.
    }
}
