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
    /// Valgrind's id of the window as a registered stack (`None`
    /// outside valgrind): see [`crate::valgrind`].
    valgrind_id: Option<usize>,
    /// Mappings the window holds (1 with a guard region, 2 with a guard
    /// mapping), given back to the mapping budget when it is unmapped.
    mappings: usize,
}

impl Window {
    /// Maps the top `len` bytes of the slot that ends at `slot_end` in `fd`,
    /// with a guard below. The slot must have `os::guard_size()` bytes to
    /// spare below `slot_end - len`.
    ///
    /// Where the kernel supports guard regions (`MADV_GUARD_INSTALL`, Linux
    /// 6.15 for shared mappings) the window is one mapping whose lowest page
    /// is made a guard; elsewhere the guard is a separate inaccessible mapping.
    pub(crate) fn map(fd: BorrowedFd<'_>, slot_end: usize, len: usize) -> io::Result<Window> {
        let mappings = os::guard_regions::mappings_per_window();
        os::map_limit::take(mappings)?;
        match Self::map_taken(fd, slot_end, len) {
            Ok(mut window) => {
                // The kernel may have refused the guard region just now:
                // the window then holds one mapping more.
                window.mappings = os::guard_regions::mappings_per_window();
                os::map_limit::add(window.mappings.saturating_sub(mappings));
                window.valgrind_id = crate::valgrind::stack_register(window.bottom, window.top);
                Ok(window)
            }
            Err(err) => {
                os::map_limit::give_back(mappings);
                Err(err)
            }
        }
    }

    /// [`Self::map`], once the mappings are taken from the budget.
    fn map_taken(fd: BorrowedFd<'_>, slot_end: usize, len: usize) -> io::Result<Window> {
        let guard_len = os::guard_size();
        if os::guard_regions::supported() {
            let guard = os::map_shared(guard_len + len, fd, slot_end - len - guard_len)?;
            // SAFETY: the first page of the mapping just made; nothing uses it.
            match unsafe { os::install_guard(guard, guard_len) } {
                Ok(()) => {
                    return Ok(Window {
                        guard,
                        bottom: guard + guard_len,
                        top: guard + guard_len + len,
                        valgrind_id: None,
                        mappings: 1,
                    });
                }
                Err(err) => {
                    // SAFETY: the mapping is ours and unused.
                    unsafe { os::unmap(guard, guard_len + len) };
                    if err.raw_os_error() != Some(libc::EINVAL) {
                        return Err(err);
                    }
                    os::guard_regions::unsupported();
                }
            }
        }
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
            valgrind_id: None,
            mappings: 2,
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

    /// Unmaps the window and its guard.
    ///
    /// # Safety
    ///
    /// No live frame or pointer may refer to the window any more.
    pub(crate) unsafe fn unmap(self) {
        crate::valgrind::stack_deregister(self.valgrind_id);
        // SAFETY: the caller promises nothing uses the range.
        unsafe { os::unmap(self.guard, self.top - self.guard) };
        os::map_limit::give_back(self.mappings);
    }
}
