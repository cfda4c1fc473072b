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
    /// Strict mode: 0 while writable, else the sequence number (from 1) of
    /// the protection that made it read-only.
    pub(crate) protected: u32,
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
        let guard_len = os::guard_size();
        if guard_regions::supported() {
            let guard = os::map_shared(guard_len + len, fd, slot_end - len - guard_len)?;
            // SAFETY: the first page of the mapping just made; nothing uses it.
            match unsafe { os::install_guard(guard, guard_len) } {
                Ok(()) => {
                    return Ok(Window {
                        guard,
                        bottom: guard + guard_len,
                        top: guard + guard_len + len,
                        protected: 0,
                    });
                }
                Err(err) => {
                    // SAFETY: the mapping is ours and unused.
                    unsafe { os::unmap(guard, guard_len + len) };
                    if err.raw_os_error() != Some(libc::EINVAL) {
                        return Err(err);
                    }
                    guard_regions::unsupported();
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
            protected: 0,
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

    /// Makes the window read-only as protection number `seq` (from 1), or
    /// writable again (`seq == 0`).
    pub(crate) fn set_protection(&mut self, seq: u32) {
        let writable = seq == 0;
        // SAFETY: the window is a mapping this module made and still owns.
        let result = unsafe { os::protect(self.bottom, self.len(), writable) };
        match result {
            Ok(()) => self.protected = seq,
            // Protecting: strict mode cannot keep its promise; the callback
            // that moved the stack fails with the reason (often the
            // mapping limit: a protection splits the window's mapping).
            Err(err) if !writable => panic!(
                "{}",
                os::os_error(
                    "coffi strict mode: write-protecting an old stack window",
                    err
                )
            ),
            // Lifting: the frames in the window cannot run read-only.
            Err(err) => {
                eprintln!(
                    "coffi strict mode: making an old stack window writable again failed: {err}; aborting"
                );
                std::process::abort();
            }
        }
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

/// Whether guard pages can be guard regions inside the window's mapping.
pub(crate) mod guard_regions {
    use std::sync::atomic::{AtomicBool, Ordering};

    static UNSUPPORTED: AtomicBool = AtomicBool::new(false);
    static CHECKED_ENV: std::sync::Once = std::sync::Once::new();

    /// Set to `mapping` to use a separate guard mapping even where guard
    /// regions work (to test that path, or to compare).
    pub(crate) const ENV: &str = "COFFI_GUARD_PAGES";

    /// True until the kernel refused a guard region once (or `ENV` says no).
    pub(crate) fn supported() -> bool {
        CHECKED_ENV.call_once(|| {
            if std::env::var(ENV).as_deref() == Ok("mapping") {
                unsupported();
            }
        });
        !UNSUPPORTED.load(Ordering::Relaxed)
    }

    pub(crate) fn unsupported() {
        UNSUPPORTED.store(true, Ordering::Relaxed);
    }

    /// Mappings a coroutine's window costs.
    pub(crate) fn mappings_per_window() -> usize {
        if supported() { 1 } else { 2 }
    }
}
