//! Chunks: the first windows of many coroutines carved from one mapping.
//!
//! A chunk is a run of the backing holding the cells of `slots` coroutines
//! (a guard's worth of file, then the first window's pages: see
//! [`super::layout`]) followed by their deep parts. One shared mapping shows
//! the whole cell area; a cell is *carved* from it when its slot is first
//! handed out, by making its lowest `os::guard_size()` bytes a guard:
//!
//! - with guard regions (`MADV_GUARD_INSTALL`, Linux 6.15 for shared
//!   mappings) the guard lives in the page tables and does not split the
//!   mapping: a chunk costs one mapping however many coroutines it holds;
//! - without them (older kernels, valgrind, `COFFI_GUARD_PAGES=mapping`)
//!   the guard is made inaccessible with `mprotect`, which splits the
//!   mapping: every carved cell then costs two mappings (guard, window),
//!   as a separately mapped window and guard did.
//!
//! Chunks stay mapped until the pool is dropped; a finished stack's pages
//! are released with `PUNCH_HOLE`, its cell stays carved for the next
//! coroutine. Strict mode's protections inside a first window split the
//! chunk's mapping for as long as they last (strict mode is a debugging
//! mode; each protection costs two mappings while it lasts).

use super::Window;
use super::compact::{ChunkTable, Compaction};
use super::layout::SlotLayout;
use crate::os;
use std::io;
use std::os::fd::BorrowedFd;
use std::sync::atomic::AtomicPtr;

/// Sizes shared by every slot of a pool.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Geometry {
    /// Length of a first window.
    pub(crate) initial: usize,
    /// Bytes of guard below every window.
    pub(crate) guard: usize,
    /// Largest window (`Builder::max_stack`).
    pub(crate) limit: usize,
}

impl Geometry {
    /// Bytes of file (and of the chunk's mapping) per cell.
    pub(crate) fn cell(&self) -> usize {
        self.guard + self.initial
    }

    /// Bytes of file per deep part: the stack below the first window, and
    /// room for the guard of the largest window.
    pub(crate) fn deep(&self) -> usize {
        self.limit - self.initial + self.guard
    }

    /// Bytes of file a chunk of `slots` slots spans.
    pub(crate) fn chunk_file_len(&self, slots: usize) -> usize {
        slots.saturating_mul(self.cell().saturating_add(self.deep()))
    }
}

/// How a chunk's cells get their guards.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum GuardKind {
    /// Guard regions in the page tables: the mapping stays whole.
    Region,
    /// `mprotect(PROT_NONE)`: two mappings per carved cell.
    Protected,
}

/// One mapping of the cells of `slots` consecutive slots.
pub(crate) struct Chunk {
    /// Address of the mapping.
    addr: usize,
    /// File offset of the chunk's first byte (its first cell).
    file_start: usize,
    /// Global index of the chunk's first slot.
    first_slot: usize,
    slots: usize,
    /// Cells carved so far: the lowest `carved` of the chunk.
    carved: usize,
    guard_kind: GuardKind,
    geometry: Geometry,
    /// The compaction state of each cell's stack, for the fault handler
    /// (only when the runtime compacts idle stacks).
    table: Option<ChunkTable>,
}

/// A slot handed out for the first time: where its bytes live and its
/// first window.
#[derive(Clone, Copy, Debug)]
pub(crate) struct CarvedSlot {
    /// Global index of the slot.
    pub(crate) index: usize,
    pub(crate) layout: SlotLayout,
    pub(crate) first: Window,
    /// The slot's entry in its chunk's compaction table (null when the
    /// runtime does not compact idle stacks).
    pub(crate) compaction_entry: *const AtomicPtr<Compaction>,
}

impl Chunk {
    /// Maps the cell area of a chunk of `slots` slots whose file range
    /// starts at `file_start` (the file must already be that long), with a
    /// compaction table if `compaction`.
    pub(crate) fn map(
        fd: BorrowedFd<'_>,
        geometry: Geometry,
        file_start: usize,
        first_slot: usize,
        slots: usize,
        compaction: bool,
    ) -> io::Result<Chunk> {
        os::map_limit::take(1)?;
        match os::map_shared(slots * geometry.cell(), fd, file_start) {
            Ok(addr) => Ok(Chunk {
                table: compaction
                    .then(|| ChunkTable::new(addr, geometry.cell(), slots))
                    .flatten(),
                addr,
                file_start,
                first_slot,
                slots,
                carved: 0,
                guard_kind: if os::guard_regions::supported() {
                    GuardKind::Region
                } else {
                    GuardKind::Protected
                },
                geometry,
            }),
            Err(err) => {
                os::map_limit::give_back(1);
                Err(err)
            }
        }
    }

    /// Whether every cell is carved.
    pub(crate) fn is_full(&self) -> bool {
        self.carved == self.slots
    }

    /// File offset one past the chunk's last byte.
    pub(crate) fn file_end(&self) -> usize {
        self.file_start + self.geometry.chunk_file_len(self.slots)
    }

    /// Slots of the chunk.
    pub(crate) fn slots(&self) -> usize {
        self.slots
    }

    /// Global index one past the chunk's last slot.
    pub(crate) fn end_slot(&self) -> usize {
        self.first_slot + self.slots
    }

    /// Where the slot `i` of the chunk lives in the file.
    fn layout(&self, i: usize) -> SlotLayout {
        let g = &self.geometry;
        let deep_area = self.file_start + self.slots * g.cell();
        SlotLayout {
            cell_end: self.file_start + (i + 1) * g.cell(),
            deep_end: deep_area + (i + 1) * g.deep(),
            initial: g.initial,
        }
    }

    /// Address of the lowest byte (the guard) of cell `i`.
    fn cell_addr(&self, i: usize) -> usize {
        self.addr + i * self.geometry.cell()
    }

    /// Carves the next cell: installs its guard. `None` when the chunk is
    /// full.
    pub(crate) fn carve(&mut self) -> io::Result<Option<CarvedSlot>> {
        if self.is_full() {
            return Ok(None);
        }
        let i = self.carved;
        self.guard_cell(i)?;
        self.carved += 1;
        let guard = self.cell_addr(i);
        let bottom = guard + self.geometry.guard;
        let top = bottom + self.geometry.initial;
        Ok(Some(CarvedSlot {
            index: self.first_slot + i,
            layout: self.layout(i),
            first: Window::carved(guard, bottom, top),
            compaction_entry: self
                .table
                .as_ref()
                .map_or(std::ptr::null(), |table| table.entry(i)),
        }))
    }

    /// Makes the guard of cell `i`.
    fn guard_cell(&mut self, i: usize) -> io::Result<()> {
        let (addr, len) = (self.cell_addr(i), self.geometry.guard);
        if self.guard_kind == GuardKind::Region {
            // SAFETY: the guard bytes of a cell of this chunk's mapping; no
            // window includes them, nothing is kept there.
            match unsafe { os::install_guard(addr, len) } {
                Ok(()) => return Ok(()),
                // The kernel has no guard regions for shared mappings: this
                // chunk (still uncarved) and later ones protect instead.
                Err(err) if err.raw_os_error() == Some(libc::EINVAL) && self.carved == 0 => {
                    os::guard_regions::unsupported();
                    self.guard_kind = GuardKind::Protected;
                }
                Err(err) => return Err(err),
            }
        }
        // Splitting the mapping around the guard makes two more mappings.
        os::map_limit::take(2)?;
        // SAFETY: as above.
        if let Err(err) = unsafe { os::protect_none(addr, len) } {
            os::map_limit::give_back(2);
            return Err(err);
        }
        Ok(())
    }

    /// Maps the chunk again over its own addresses from `fd` (a copy of the
    /// backing, in a forked child), and makes the guards of its carved
    /// cells again.
    ///
    /// # Safety
    ///
    /// No code may run on a window of the chunk meanwhile, and `fd` must
    /// hold the bytes the windows must show.
    pub(crate) unsafe fn remap(&self, fd: BorrowedFd<'_>) -> io::Result<()> {
        // SAFETY: the range is this chunk's mapping; the caller keeps code
        // off it; the copy holds the same bytes at the same offsets.
        unsafe {
            os::map_fixed(
                self.addr,
                self.slots * self.geometry.cell(),
                fd,
                self.file_start,
                false,
            )
        }?;
        for i in 0..self.carved {
            let (addr, len) = (self.cell_addr(i), self.geometry.guard);
            match self.guard_kind {
                // SAFETY: a cell's guard bytes, as in `guard_cell`.
                GuardKind::Region => unsafe { os::install_guard(addr, len) }?,
                // SAFETY: as above.
                GuardKind::Protected => unsafe { os::protect_none(addr, len) }?,
            }
        }
        for compacted in self.table.iter().flat_map(ChunkTable::compacted) {
            compacted.after_fork_remap()?;
        }
        Ok(())
    }

    /// Unmaps the chunk.
    ///
    /// # Safety
    ///
    /// No coroutine may live on a window of the chunk, and no pointer into
    /// one may be used afterwards.
    pub(crate) unsafe fn unmap(self) {
        // SAFETY: forwarded from the caller.
        unsafe { os::unmap(self.addr, self.slots * self.geometry.cell()) };
        let split = match self.guard_kind {
            GuardKind::Region => 0,
            GuardKind::Protected => 2 * self.carved,
        };
        os::map_limit::give_back(1 + split);
    }
}
