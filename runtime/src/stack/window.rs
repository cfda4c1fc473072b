//! A window: a mapping of the top `len` bytes of a coroutine's backing, with
//! an inaccessible guard page below it.

use crate::os;
use std::io;
use std::os::fd::BorrowedFd;

/// One mapping of the top of a backing slot.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Window {
    /// Start of the reservation (the guard page).
    pub(crate) guard: usize,
    /// Lowest usable address.
    pub(crate) bottom: usize,
    /// One past the highest usable address: the stack top.
    pub(crate) top: usize,
    /// Whether strict mode has made this window read-only.
    pub(crate) protected: bool,
}

impl Window {
    /// Maps the top `len` bytes of the slot that ends at `slot_end` in `fd`.
    pub(crate) fn map(fd: BorrowedFd<'_>, slot_end: usize, len: usize) -> io::Result<Window> {
        let guard_len = os::page_size();
        let guard = os::reserve(guard_len + len)?;
        let bottom = guard + guard_len;
        // SAFETY: `[bottom, bottom + len)` lies in the reservation just made,
        // which nothing else knows about.
        if let Err(err) = unsafe { os::map_shared_fixed(bottom, len, fd, slot_end - len) } {
            // SAFETY: the reservation is ours and unused.
            unsafe { os::unmap(guard, guard_len + len) };
            return Err(err);
        }
        Ok(Window {
            guard,
            bottom,
            top: bottom + len,
            protected: false,
        })
    }

    /// Usable bytes.
    pub(crate) fn len(&self) -> usize {
        self.top - self.bottom
    }

    /// Whether `addr` is a usable address of this window.
    pub(crate) fn contains(&self, addr: usize) -> bool {
        self.bottom <= addr && addr < self.top
    }

    /// Whether `addr` would land in this window's guard page.
    pub(crate) fn guard_contains(&self, addr: usize) -> bool {
        self.guard <= addr && addr < self.bottom
    }

    /// Makes the window read-only (`false`) or writable again (`true`).
    pub(crate) fn set_writable(&mut self, writable: bool) {
        // SAFETY: the window is a mapping this module made and still owns.
        let result = unsafe { os::protect(self.bottom, self.len(), writable) };
        if let Err(err) = result {
            // Strict mode cannot keep its promise; say so rather than run on.
            panic!("coffi strict mode: mprotect of a stack window failed: {err}");
        }
        self.protected = !writable;
    }

    /// Unmaps the window and its guard.
    ///
    /// # Safety
    ///
    /// No live frame or pointer may refer to the window any more.
    pub(crate) unsafe fn unmap(self) {
        // SAFETY: the caller promises nothing uses the range.
        unsafe { os::unmap(self.guard, self.top - self.guard) };
    }
}
