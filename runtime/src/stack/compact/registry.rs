//! The process-wide list of chunks with compaction tables: lock-free and
//! allocation-free, so the fault handler can read it.

use super::Compaction;
use std::sync::atomic::{AtomicPtr, AtomicUsize, Ordering};

/// Chunks with tables at once in the whole process: 64 million
/// coroutines in chunks of 1024.
const SLOTS: usize = 1 << 16;

const FREE: usize = 0;
const WRITING: usize = 1;
const READY: usize = 2;

struct Slot {
    state: AtomicUsize,
    start: AtomicUsize,
    end: AtomicUsize,
    cell: AtomicUsize,
    table: AtomicPtr<AtomicPtr<Compaction>>,
}

#[allow(
    clippy::declare_interior_mutable_const,
    reason = "the constant initialises each slot of the static table"
)]
const EMPTY: Slot = Slot {
    state: AtomicUsize::new(FREE),
    start: AtomicUsize::new(0),
    end: AtomicUsize::new(0),
    cell: AtomicUsize::new(0),
    table: AtomicPtr::new(std::ptr::null_mut()),
};

static TABLE: [Slot; SLOTS] = [EMPTY; SLOTS];
/// Slots ever used: the handler looks no further.
static USED: AtomicUsize = AtomicUsize::new(0);

/// Enters the chunk `[start, end)` of `cell`-byte cells; `None` when the
/// table is full.
pub(super) fn insert(
    start: usize,
    end: usize,
    cell: usize,
    table: *const AtomicPtr<Compaction>,
) -> Option<usize> {
    let index = TABLE.iter().position(|slot| {
        slot.state
            .compare_exchange(FREE, WRITING, Ordering::Acquire, Ordering::Relaxed)
            .is_ok()
    })?;
    let slot = &TABLE[index];
    slot.start.store(start, Ordering::Relaxed);
    slot.end.store(end, Ordering::Relaxed);
    slot.cell.store(cell, Ordering::Relaxed);
    slot.table.store(table.cast_mut(), Ordering::Relaxed);
    USED.fetch_max(index + 1, Ordering::Release);
    slot.state.store(READY, Ordering::Release);
    Some(index)
}

pub(super) fn remove(index: usize) {
    TABLE[index].state.store(FREE, Ordering::Release);
}

/// The table entry of the cell holding `addr`, and the offset of `addr`
/// in the cell (async-signal-safe).
pub(super) fn find(addr: usize) -> Option<(&'static AtomicPtr<Compaction>, usize)> {
    let used = USED.load(Ordering::Acquire);
    TABLE[..used].iter().find_map(|slot| {
        if slot.state.load(Ordering::Acquire) != READY {
            return None;
        }
        let (start, end) = (
            slot.start.load(Ordering::Relaxed),
            slot.end.load(Ordering::Relaxed),
        );
        if !(start <= addr && addr < end) {
            return None;
        }
        let cell_len = slot.cell.load(Ordering::Relaxed);
        let (cell, offset) = ((addr - start) / cell_len, (addr - start) % cell_len);
        let table = slot.table.load(Ordering::Relaxed);
        // SAFETY: a ready slot's table has a cell for every address of
        // its range, and lives until the slot is removed.
        Some((unsafe { &*table.add(cell) }, offset))
    })
}
