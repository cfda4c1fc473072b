//! Movable coroutine stacks, by aliasing.
//!
//! Each coroutine owns a slot of the runtime's sparse shared-memory backing.
//! Its stack lives in windows: views of the top of the slot. The first
//! window is carved from a chunk, one mapping shared by the first windows
//! of many coroutines. Relocation maps a larger window of the same slot at
//! a new address; the used part shows up at the top of the new window on
//! the same physical pages, so nothing is copied and every pointer into an
//! older window stays valid. A frame at depth `d` (bytes below the top) is
//! reachable in every window longer than `d`, at `window.top - d`.

mod chunk;
pub(crate) mod compact;
mod layout;
mod pool;
pub(crate) mod remap;
mod scheduler_stack;
pub(crate) mod strict;
mod window;

pub(crate) use pool::StackPool;
pub(crate) use scheduler_stack::SchedulerStack;
pub(crate) use window::Window;

use crate::arch::STACK_ALIGN;
use std::cell::{Cell, UnsafeCell};
use std::os::fd::BorrowedFd;

/// Largest grown window a pooled stack keeps mapped, with its pages, for
/// the next coroutine that needs to grow.
pub(crate) const SPARE_WINDOW_MAX: usize = 1 << 20;

/// Bytes kept free under a frame for the switch itself and for the small
/// frames between a depth check and the code that runs there.
pub(crate) const SWITCH_SLACK: usize = 512;

/// The stack of one coroutine: its slot of the backing and its windows.
///
/// The runtime keeps it at a fixed heap address while the coroutine lives:
/// the per-thread context and the fault handler point at it.
pub(crate) struct CoroutineStack {
    /// Index of the slot in the backing.
    pub(crate) slot: usize,
    /// Where the slot's bytes live in the backing.
    pub(crate) layout: layout::SlotLayout,
    /// Largest window allowed (`Builder::max_stack`).
    pub(crate) limit: usize,
    /// The window the coroutine started in, carved from a chunk.
    first: Window,
    /// The windows it grew into, oldest first (no heap until it grows).
    /// Only this module touches the vector, and each access borrows it for
    /// one statement, so no two borrows overlap in ordinary code. The fault
    /// handler reads it too, on the faulting thread: should a fault
    /// interrupt a `push` here (a relocation that itself overflows the
    /// scheduler stack), the handler may see a stale length or buffer; it
    /// only formats a message and aborts.
    grown: UnsafeCell<Vec<Window>>,
    /// Top of the window where new frames of this coroutine run now:
    /// what `coffi_topofstack()` returns.
    pub(crate) current_top: Cell<usize>,
    /// Stack pointer of the coroutine at its innermost live foreign call.
    pub(crate) call_sp: Cell<usize>,
    /// A grown window kept from an earlier coroutine on this stack, reused by
    /// the next relocation it is large enough for (no `mmap`, pages present).
    spare: Cell<Option<Window>>,
    /// Relocations of this coroutine.
    pub(crate) relocations: Cell<u64>,
    /// Strict mode's protections of this stack.
    pub(crate) strict: strict::StrictState,
    /// The stack pointer at the coroutine's last suspension.
    pub(crate) parked_sp: Cell<usize>,
    /// Blocking foreign calls of the coroutine in flight (C on a helper
    /// thread may use its stack: no compaction meanwhile).
    pub(crate) blocking_calls: Cell<u32>,
    /// The slot's entry in its chunk's compaction table (null when the
    /// runtime does not compact idle stacks).
    compaction_entry: *const std::sync::atomic::AtomicPtr<compact::Compaction>,
    /// Made at the stack's first compaction; lives as long as the stack.
    compaction: std::cell::OnceCell<Box<compact::Compaction>>,
}

impl Drop for CoroutineStack {
    fn drop(&mut self) {
        self.forget_compaction();
    }
}

/// Where code that asked for room may run: see [`CoroutineStack::room_at_depth`].
pub(crate) struct Room {
    /// The stack pointer to run at (aligned).
    pub(crate) sp: usize,
    /// The length of the window mapped to make the room, if one was.
    pub(crate) relocated_to: Option<usize>,
}

/// What [`CoroutineStack::reset`] leaves.
pub(crate) struct Reset {
    /// Depth of backing whose pages are worth keeping: what the kept
    /// windows show.
    pub(crate) kept: usize,
    /// The deepest the stack ever reached.
    pub(crate) deepest: usize,
}

impl CoroutineStack {
    pub(crate) fn new(slot: chunk::CarvedSlot, limit: usize) -> Self {
        CoroutineStack {
            slot: slot.index,
            layout: slot.layout,
            limit,
            first: slot.first,
            grown: UnsafeCell::new(Vec::new()),
            current_top: Cell::new(slot.first.top),
            call_sp: Cell::new(0),
            spare: Cell::new(None),
            relocations: Cell::new(0),
            strict: strict::StrictState::default(),
            parked_sp: Cell::new(0),
            blocking_calls: Cell::new(0),
            compaction_entry: slot.compaction_entry,
            compaction: std::cell::OnceCell::new(),
        }
    }

    fn count(&self) -> usize {
        // SAFETY: see the field; no reference into the vector is alive.
        1 + unsafe { (*self.grown.get()).len() }
    }

    /// The window the coroutine started in.
    pub(crate) fn first(&self) -> Window {
        self.window(0)
    }

    /// The largest (latest) window.
    #[inline]
    pub(crate) fn newest(&self) -> Window {
        // SAFETY: see the field; the shared borrow ends in this statement.
        unsafe { (*self.grown.get()).last().copied() }.unwrap_or(self.first)
    }

    /// Window number `index` (0 is the first).
    pub(crate) fn window(&self, index: usize) -> Window {
        match index {
            0 => self.first,
            // SAFETY: see the field; the shared borrow ends in this statement.
            grown => unsafe { (&*self.grown.get())[grown - 1] },
        }
    }

    /// All windows, oldest first.
    pub(crate) fn windows(&self) -> impl Iterator<Item = Window> + '_ {
        (0..self.count()).map(|i| self.window(i))
    }

    /// The window holding `addr` and the depth of `addr` below its top.
    pub(crate) fn locate(&self, addr: usize) -> Option<(usize, usize)> {
        (0..self.count())
            .rev()
            .map(|i| (i, self.window(i)))
            .find(|(_, w)| w.contains(addr) || w.top == addr)
            .map(|(i, w)| (i, w.top - addr))
    }

    /// Makes `need` bytes of room below depth `depth`: returns where code that
    /// needs it may run, relocating to a new, larger window when no window
    /// has the room. Panics with the limit when it would exceed `limit`.
    pub(crate) fn room_at_depth(&self, fd: BorrowedFd<'_>, depth: usize, need: usize) -> Room {
        let required = depth.saturating_add(need).saturating_add(SWITCH_SLACK);
        let relocated_to = (self.newest().len() < required).then(|| self.relocate(fd, required));
        let newest = self.newest();
        Room {
            sp: (newest.top - depth) & !(STACK_ALIGN - 1),
            relocated_to,
        }
    }

    /// Maps a new window of at least `required` bytes (at least twice the
    /// newest one), up to the limit; returns its length.
    fn relocate(&self, fd: BorrowedFd<'_>, required: usize) -> usize {
        if required > self.limit {
            panic!(
                "coffi: stack limit of {} bytes reached: {} bytes are needed; raise it with \
                 coffi::Builder::max_stack",
                self.limit, required
            );
        }
        let window = match self.spare.take() {
            // A window kept from an earlier coroutine: no mapping to make, its
            // pages are present.
            Some(spare) if spare.len() >= required && spare.len() > self.newest().len() => spare,
            spare => {
                self.spare.set(spare);
                let len = required.max(self.newest().len().saturating_mul(2));
                let len = crate::os::round_to_page(len).min(self.limit);
                match Window::map(fd, &self.layout, len) {
                    Ok(window) => window,
                    Err(err) => {
                        panic!(
                            "{}",
                            crate::os::os_error("relocating a coroutine stack", err)
                        )
                    }
                }
            }
        };
        let len = window.len();
        // SAFETY: see the field; the mutable borrow ends in this statement.
        unsafe { (*self.grown.get()).push(window) };
        self.relocations.set(self.relocations.get() + 1);
        len
    }

    /// Resets the per-coroutine state for reuse of the stack by another
    /// coroutine: keeps the first window, and the largest grown one up to
    /// [`SPARE_WINDOW_MAX`] as the spare; unmaps the others.
    ///
    /// # Safety
    ///
    /// The coroutine that ran on this stack must have finished.
    pub(crate) unsafe fn reset(&self) -> Reset {
        debug_assert!(
            self.strict.is_idle(),
            "a finished coroutine left strict-mode state"
        );
        let deepest = self.newest().len().max(self.spare_len());
        let mut keep = self.spare.take();
        for i in 1..self.count() {
            let window = self.window(i);
            let better =
                window.len() <= SPARE_WINDOW_MAX && keep.is_none_or(|k| window.len() > k.len());
            let unused = if better {
                keep.replace(window)
            } else {
                Some(window)
            };
            if let Some(unused) = unused {
                // SAFETY: the coroutine finished; no frame lives in any window.
                unsafe { unused.unmap() };
            }
        }
        self.spare.set(keep);
        // SAFETY: see the field; the mutable borrow ends in this statement.
        unsafe { (*self.grown.get()).clear() };
        self.current_top.set(self.first().top);
        self.call_sp.set(0);
        self.relocations.set(0);
        Reset {
            kept: self.first().len().max(self.spare_len()),
            deepest,
        }
    }

    fn spare_len(&self) -> usize {
        let spare = self.spare.get();
        spare.map_or(0, |w| w.len())
    }

    /// Unmaps the spare window, if any.
    ///
    /// # Safety
    ///
    /// No coroutine may run on this stack.
    pub(crate) unsafe fn drop_spare(&self) {
        if let Some(spare) = self.spare.take() {
            // SAFETY: forwarded from the caller.
            unsafe { spare.unmap() };
        }
    }
}

/// What corosensei sees of a coroutine stack: its first window.
pub(crate) struct FirstWindow {
    pub(crate) base: usize,
    pub(crate) limit: usize,
}

// SAFETY: the first window is mapped, writable, has a guard page below
// `limit`..`bottom`, is far larger than MIN_STACK_SIZE (a page at least),
// and stays mapped until the coroutine is dropped (it is part of a chunk,
// which the pool unmaps when it is dropped, after every coroutine: see
// `Runtime`'s fields). Compaction guards part of it only while the
// coroutine is parked, and any access brings it back first.
unsafe impl corosensei::stack::Stack for FirstWindow {
    fn base(&self) -> corosensei::stack::StackPointer {
        corosensei::stack::StackPointer::new(self.base).expect("window top is not null")
    }

    fn limit(&self) -> corosensei::stack::StackPointer {
        corosensei::stack::StackPointer::new(self.limit).expect("window guard is not null")
    }
}
