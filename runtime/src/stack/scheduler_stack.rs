//! The scheduler stack: where the scheduler loop and every C function run.

use crate::error::Error;
use crate::os;

/// A private mapping with a guard below, unmapped when dropped. The guard is
/// as large as the stack (at least a coroutine window's guard): C frames
/// that skip a page, or a large `alloca` in C built without stack-clash
/// protection, still land in it rather than in a mapping below. It is
/// reserved address space only: it costs no memory.
pub(crate) struct SchedulerStack {
    /// Start of the mapping: the guard.
    pub(crate) guard: usize,
    /// Lowest usable address.
    pub(crate) bottom: usize,
    /// The stack top.
    pub(crate) top: usize,
    /// Valgrind's id of the stack (`None` outside valgrind): see
    /// [`crate::valgrind`].
    valgrind_id: Option<usize>,
}

impl SchedulerStack {
    /// Maps a stack of `bytes` (rounded up to pages) with a guard below.
    pub(crate) fn allocate(bytes: usize) -> Result<SchedulerStack, Error> {
        let len = os::round_to_page(bytes);
        let guard_len = os::guard_size().max(len);
        let failed = |e| os::os_error("allocating the scheduler stack", e);
        let guard = os::reserve(guard_len.saturating_add(len)).map_err(failed)?;
        let mut stack = SchedulerStack {
            guard,
            bottom: guard + guard_len,
            top: guard + guard_len + len,
            valgrind_id: None,
        };
        // SAFETY: the range above the guard was just reserved by us;
        // on failure `stack` is dropped, which unmaps the reservation.
        unsafe { os::protect(stack.bottom, len, true) }.map_err(failed)?;
        stack.valgrind_id = crate::valgrind::stack_register(stack.bottom, stack.top);
        Ok(stack)
    }
}

impl Drop for SchedulerStack {
    fn drop(&mut self) {
        crate::valgrind::stack_deregister(self.valgrind_id);
        // SAFETY: the owner drops the stack only after everything that ran
        // on it has returned.
        unsafe { os::unmap(self.guard, self.top - self.guard) };
    }
}

// SAFETY: a mapped, writable range with a guard below `bottom`, far
// larger than MIN_STACK_SIZE, unmapped only when the owner drops it, after
// `on_stack` has returned.
unsafe impl corosensei::stack::Stack for &SchedulerStack {
    fn base(&self) -> corosensei::stack::StackPointer {
        corosensei::stack::StackPointer::new(self.top).expect("stack top is not null")
    }

    fn limit(&self) -> corosensei::stack::StackPointer {
        corosensei::stack::StackPointer::new(self.guard).expect("stack guard is not null")
    }
}
