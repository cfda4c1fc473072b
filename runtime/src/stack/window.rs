//! A window: a view of the top `len` bytes of a coroutine's stack, with an
//! inaccessible guard below it.
//!
//! A first window is carved from a chunk (see [`super::chunk`]) and holds
//! no mapping of its own. A grown window is mapped on its own: the deep
//! part of the slot, then the first window's pages, end to end (see
//! [`super::layout`]), with the guard below.

use super::layout::SlotLayout;
use crate::os;
use std::io;
use std::os::fd::BorrowedFd;

/// One view of the top of a slot.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Window {
    /// Start of the reservation (the guard).
    pub(crate) guard: usize,
    /// Lowest usable address.
    pub(crate) bottom: usize,
    /// One past the highest usable address: the stack top.
    pub(crate) top: usize,
    /// Valgrind's id of the window as a registered stack (`None`
    /// outside valgrind): see [`crate::valgrind`].
    valgrind_id: Option<usize>,
    /// Mappings the window holds, given back to the mapping budget when it
    /// is unmapped: 0 for a window carved from a chunk, 2 for a grown
    /// window with a guard region, 3 with a guard mapping.
    mappings: usize,
}

impl Window {
    /// A first window carved from a chunk: `[guard, bottom)` is its guard.
    pub(crate) fn carved(guard: usize, bottom: usize, top: usize) -> Window {
        Window {
            guard,
            bottom,
            top,
            valgrind_id: crate::valgrind::stack_register(bottom, top),
            mappings: 0,
        }
    }

    /// Whether the window is part of a chunk's mapping.
    pub(crate) fn is_carved(&self) -> bool {
        self.mappings == 0
    }

    /// Maps a grown window of `len` bytes of the slot laid out as `layout`,
    /// with a guard below. `len` must be larger than the first window.
    ///
    /// Where the kernel supports guard regions (`MADV_GUARD_INSTALL`, Linux
    /// 6.15 for shared mappings) the guard is the lowest part of the deep
    /// part's mapping; elsewhere it is a separate inaccessible mapping.
    pub(crate) fn map(fd: BorrowedFd<'_>, layout: &SlotLayout, len: usize) -> io::Result<Window> {
        let mappings = Self::mappings_per_grown_window();
        os::map_limit::take(mappings)?;
        match Self::map_taken(fd, layout, len) {
            Ok(mut window) => {
                // The kernel may have refused the guard region just now:
                // the window then holds one mapping more.
                window.mappings = Self::mappings_per_grown_window();
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

    /// Mappings a grown window holds: its deep part and its cell part, and
    /// a guard mapping without guard regions.
    pub(crate) fn mappings_per_grown_window() -> usize {
        os::guard_regions::mappings_per_window() + 1
    }

    /// [`Self::map`], once the mappings are taken from the budget.
    fn map_taken(fd: BorrowedFd<'_>, layout: &SlotLayout, len: usize) -> io::Result<Window> {
        debug_assert!(
            len > layout.initial,
            "a grown window is larger than the first"
        );
        let guard_len = os::guard_size();
        let with_regions = os::guard_regions::supported();
        let guard = if with_regions {
            // One mapping both takes the window's addresses and shows its
            // lowest piece: the deep part, with the file's spare guard bytes
            // below it. What it shows above the deep part is replaced by the
            // cell's piece in `map_pieces`, before anything runs there.
            let deep = len - layout.initial;
            os::map_shared(guard_len + len, fd, layout.deep_end - deep - guard_len)?
        } else {
            os::reserve(guard_len + len)?
        };
        let window = Window {
            guard,
            bottom: guard + guard_len,
            top: guard + guard_len + len,
            valgrind_id: None,
            mappings: 0,
        };
        // SAFETY: the addresses were just taken and nothing else knows them.
        match unsafe { window.map_pieces(fd, layout, with_regions) } {
            Ok(()) => Ok(window),
            Err(err) => {
                // SAFETY: the addresses are ours and unused.
                unsafe { os::unmap(guard, guard_len + len) };
                Err(err)
            }
        }
    }

    /// Maps the pieces of the window over its addresses, and its guard.
    /// With `lowest_mapped`, `[guard, top)` already shows the lowest piece
    /// from the file (with the guard's file bytes below it), and the guard
    /// is a guard region in that mapping; otherwise it is a reservation and
    /// the guard stays its inaccessible memory.
    ///
    /// # Safety
    ///
    /// `[guard, top)` must be addresses the caller owns and nothing uses.
    unsafe fn map_pieces(
        &self,
        fd: BorrowedFd<'_>,
        layout: &SlotLayout,
        lowest_mapped: bool,
    ) -> io::Result<()> {
        let guard_len = self.bottom - self.guard;
        let mut pieces = layout.pieces(self.top, self.len());
        let Some(lowest) = pieces.next() else {
            unreachable!("a window has at least one piece");
        };
        if lowest_mapped {
            // SAFETY: the guard bytes of the mapping the caller made; nothing
            // is kept there.
            match unsafe { os::install_guard(self.guard, guard_len) } {
                Ok(()) => {}
                Err(err) if err.raw_os_error() == Some(libc::EINVAL) => {
                    os::guard_regions::unsupported();
                    // SAFETY: as above; the guard becomes its own mapping.
                    unsafe { os::protect_none(self.guard, guard_len) }?;
                }
                Err(err) => return Err(err),
            }
        } else {
            // SAFETY: inside the caller's reservation; the guard stays the
            // reservation's inaccessible memory.
            unsafe { os::map_shared_fixed(lowest.addr, lowest.len, fd, lowest.offset) }?;
        }
        for piece in pieces {
            // SAFETY: inside the caller's addresses.
            unsafe { os::map_shared_fixed(piece.addr, piece.len, fd, piece.offset) }?;
        }
        Ok(())
    }

    /// Usable bytes.
    pub(crate) fn len(&self) -> usize {
        self.top - self.bottom
    }

    /// Whether `addr` is a usable address of this window.
    pub(crate) fn contains(&self, addr: usize) -> bool {
        self.bottom <= addr && addr < self.top
    }

    /// Whether `addr` would land in this window's guard.
    pub(crate) fn guard_contains(&self, addr: usize) -> bool {
        self.guard <= addr && addr < self.bottom
    }

    /// Gives the window up: unmaps a grown window and its guard; a carved
    /// window stays part of its chunk (and stays carved for the next
    /// coroutine of the slot), only valgrind forgets it.
    ///
    /// # Safety
    ///
    /// No live frame or pointer may refer to the window any more.
    pub(crate) unsafe fn unmap(self) {
        crate::valgrind::stack_deregister(self.valgrind_id);
        if self.is_carved() {
            return;
        }
        // SAFETY: the caller promises nothing uses the range.
        unsafe { os::unmap(self.guard, self.top - self.guard) };
        os::map_limit::give_back(self.mappings);
    }
}
