//! Each chunk's table of compacted stacks, by cell, entered in the
//! process-wide registry the fault handler reads.

use super::{Compaction, registry};
use std::sync::atomic::{AtomicPtr, Ordering};

/// A chunk's table of compacted stacks, by cell, and its entry in the
/// process-wide registry the fault handler reads.
pub(crate) struct ChunkTable {
    cells: Box<[AtomicPtr<Compaction>]>,
    registered: Option<usize>,
}

impl ChunkTable {
    /// A table for the `cells` cells of `cell` bytes of the chunk mapped at
    /// `addr`; `None` when the registry is full (compaction then leaves the
    /// chunk's stacks alone).
    pub(crate) fn new(addr: usize, cell: usize, cells: usize) -> Option<ChunkTable> {
        let table: Box<[AtomicPtr<Compaction>]> = (0..cells)
            .map(|_| AtomicPtr::new(std::ptr::null_mut()))
            .collect();
        let registered = registry::insert(addr, addr + cell * cells, cell, table.as_ptr())?;
        Some(ChunkTable {
            cells: table,
            registered: Some(registered),
        })
    }

    /// The entry of cell `i`.
    pub(crate) fn entry(&self, i: usize) -> *const AtomicPtr<Compaction> {
        &self.cells[i]
    }

    /// Every compacted stack of the chunk.
    pub(crate) fn compacted(&self) -> impl Iterator<Item = &Compaction> {
        self.cells.iter().filter_map(|entry| {
            // SAFETY: a set entry points to a live `Compaction` (see
            // `restore_for_fault`).
            unsafe { entry.load(Ordering::Acquire).as_ref() }
        })
    }
}

impl Drop for ChunkTable {
    fn drop(&mut self) {
        if let Some(index) = self.registered.take() {
            registry::remove(index);
        }
    }
}
