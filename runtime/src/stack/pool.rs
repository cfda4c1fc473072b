//! The per-runtime backing object and the pool of coroutine stacks.
//!
//! One sparse `memfd` holds every stack of a runtime, one `max_stack`-sized
//! slot each, so the runtime needs one file descriptor however many
//! coroutines it runs. Finished stacks keep their first window mapped in a
//! small warm set so spawning does not pay for `mmap`; beyond it, the window
//! is unmapped and the slot's pages are released with `PUNCH_HOLE`.

use super::{CoroutineStack, Window};
use crate::error::Error;
use crate::os;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};

/// Finished stacks kept mapped and warm for the next spawn.
pub(crate) const WARM_STACKS: usize = 64;

/// Slots the backing is first sized for; it doubles when they are used up,
/// so a runtime with few coroutines keeps a small file (`RLIMIT_FSIZE`
/// applies to it).
const FIRST_SLOTS: usize = 16;

/// The stacks of one runtime.
pub(crate) struct StackPool {
    fd: OwnedFd,
    slot_size: usize,
    initial: usize,
    limit: usize,
    /// Slots the backing is currently sized for.
    slots_sized: usize,
    /// Slots handed out at least once.
    slots_used: usize,
    /// Finished stacks with their first window still mapped.
    #[allow(
        clippy::vec_box,
        reason = "a running coroutine's stack must not move: it is handed out boxed"
    )]
    warm: Vec<Box<CoroutineStack>>,
    /// Released slots: no mapping, no pages.
    cold: Vec<usize>,
    /// The stacks handed out, by slot (null where none is): `fork` maps
    /// every window of this runtime again in the child.
    handed_out: Vec<*const CoroutineStack>,
}

impl StackPool {
    /// A pool of stacks that start at `initial` bytes and grow up to `limit`.
    pub(crate) fn new(initial: usize, limit: usize) -> Result<Self, Error> {
        let fd = os::memfd().map_err(|e| os::os_error("creating the stack backing (memfd)", e))?;
        Ok(StackPool {
            fd,
            // Room below the largest window for its guard.
            slot_size: limit + os::guard_size(),
            initial,
            limit,
            slots_sized: 0,
            slots_used: 0,
            warm: Vec::new(),
            cold: Vec::new(),
            handed_out: Vec::new(),
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
            self.handed_out.resize(stack.slot + 1, std::ptr::null());
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

    fn take_stack(&mut self) -> Result<Box<CoroutineStack>, Error> {
        if let Some(stack) = self.warm.pop() {
            return Ok(stack);
        }
        let slot = match self.cold.pop() {
            Some(slot) => slot,
            None => self.new_slot()?,
        };
        let slot_end = (slot + 1) * self.slot_size;
        match Window::map(self.fd.as_fd(), slot_end, self.initial) {
            Ok(window) => Ok(Box::new(CoroutineStack::new(
                slot, slot_end, self.limit, window,
            ))),
            Err(err) => {
                self.cold.push(slot);
                Err(os::os_error("mapping a coroutine stack", err))
            }
        }
    }

    fn new_slot(&mut self) -> Result<usize, Error> {
        if self.slots_used == self.slots_sized {
            let slots = (self.slots_sized * 2).max(FIRST_SLOTS);
            // At least one more slot, as many as the file size limit allows.
            let needed = (self.slots_used + 1).saturating_mul(self.slot_size);
            let len = slots
                .saturating_mul(self.slot_size)
                .min(os::file_size_limit().max(needed));
            os::set_len(&self.fd, len).map_err(|e| os::os_error("sizing the stack backing", e))?;
            self.slots_sized = len / self.slot_size;
        }
        self.slots_used += 1;
        Ok(self.slots_used - 1)
    }

    /// Takes back the stack of a finished coroutine.
    ///
    /// # Safety
    ///
    /// The coroutine that ran on `stack` must have finished and been dropped.
    pub(crate) unsafe fn release(&mut self, stack: Box<CoroutineStack>) {
        self.handed_out[stack.slot] = std::ptr::null();
        // SAFETY: forwarded from the caller.
        let super::Reset { kept, deepest } = unsafe { stack.reset() };
        let slot_end = stack.slot_end();
        if self.warm.len() < WARM_STACKS {
            // Keep the pages the kept windows show; give back the rest.
            os::punch_hole(&self.fd, slot_end - deepest, deepest - kept);
            self.warm.push(stack);
        } else {
            // SAFETY: the coroutine is gone; nothing refers to its windows.
            unsafe {
                stack.drop_spare();
                stack.first().unmap();
            }
            os::punch_hole(&self.fd, slot_end - deepest, deepest);
            self.cold.push(stack.slot);
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
        // Closing the memfd frees every page of the backing.
    }
}
