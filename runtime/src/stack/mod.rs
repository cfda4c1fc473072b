//! Movable coroutine stacks, by aliasing.
//!
//! Each coroutine owns a slot of the runtime's sparse shared-memory backing.
//! Its stack lives in windows: mappings of the top of the slot. Relocation
//! maps a larger window of the same slot at a new address; the used part
//! shows up at the top of the new window on the same physical pages, so
//! nothing is copied and every pointer into an older window stays valid.
//! A frame at depth `d` (bytes below the top) is reachable in every window
//! longer than `d`, at `window.top - d`.

mod pool;
mod window;

pub(crate) use pool::StackPool;
pub(crate) use window::Window;
pub(crate) use window::guard_regions::mappings_per_window;

use crate::arch::STACK_ALIGN;
use std::cell::Cell;
use std::os::fd::BorrowedFd;

/// Windows at least double in size, so this many cover any stack limit a
/// 64-bit address space can hold.
pub(crate) const MAX_WINDOWS: usize = 48;

/// Bytes kept free under a frame for the switch itself and for the small
/// frames between a depth check and the code that runs there.
pub(crate) const SWITCH_SLACK: usize = 512;

/// The stack of one coroutine: its slot of the backing and its windows.
///
/// The runtime keeps it at a fixed heap address while the coroutine lives:
/// the per-thread context and the fault handler point at it.
pub(crate) struct CoroutineStack {
    /// End offset of this stack's slot in the backing.
    slot_end: usize,
    /// Index of the slot in the backing.
    pub(crate) slot: usize,
    /// Largest window allowed (`Builder::max_stack`).
    pub(crate) limit: usize,
    windows: [Cell<Window>; MAX_WINDOWS],
    count: Cell<usize>,
    /// Top of the window where new frames of this coroutine run now:
    /// what `coffi_topofstack()` returns.
    pub(crate) current_top: Cell<usize>,
    /// Stack pointer of the coroutine at its innermost live foreign call.
    pub(crate) call_sp: Cell<usize>,
    /// Relocations of this coroutine.
    pub(crate) relocations: Cell<u64>,
    /// Number of windows strict mode has protected (they are the oldest ones
    /// in order of protection, recorded in `protect_order`).
    pub(crate) protected_count: Cell<usize>,
    protect_order: [Cell<u8>; MAX_WINDOWS],
    /// `corosensei::Yielder` of the coroutine, set when it starts.
    pub(crate) yielder: Cell<*const crate::scheduler::CoYielder>,
}

impl CoroutineStack {
    pub(crate) fn new(slot: usize, slot_end: usize, limit: usize, first: Window) -> Self {
        let stack = CoroutineStack {
            slot_end,
            slot,
            limit,
            windows: std::array::from_fn(|_| Cell::new(Window::default())),
            count: Cell::new(1),
            current_top: Cell::new(first.top),
            call_sp: Cell::new(0),
            relocations: Cell::new(0),
            protected_count: Cell::new(0),
            protect_order: std::array::from_fn(|_| Cell::new(0)),
            yielder: Cell::new(std::ptr::null()),
        };
        stack.windows[0].set(first);
        stack
    }

    /// The window the coroutine started in.
    pub(crate) fn first(&self) -> Window {
        self.windows[0].get()
    }

    /// The largest (latest) window.
    pub(crate) fn newest(&self) -> Window {
        self.windows[self.count.get() - 1].get()
    }

    /// Window number `index` (0 is the first).
    pub(crate) fn window(&self, index: usize) -> Window {
        self.windows[index].get()
    }

    /// All windows, oldest first.
    pub(crate) fn windows(&self) -> impl Iterator<Item = Window> + '_ {
        self.windows[..self.count.get()].iter().map(Cell::get)
    }

    /// The window holding `addr` and the depth of `addr` below its top.
    pub(crate) fn locate(&self, addr: usize) -> Option<(usize, usize)> {
        (0..self.count.get())
            .rev()
            .map(|i| (i, self.windows[i].get()))
            .find(|(_, w)| w.contains(addr) || w.top == addr)
            .map(|(i, w)| (i, w.top - addr))
    }

    /// Makes `need` bytes of room below depth `depth`: returns where code that
    /// needs it may run, relocating to a new, larger window when no window
    /// has the room. Panics with the limit when it would exceed `limit`.
    pub(crate) fn room_at_depth(
        &self,
        fd: BorrowedFd<'_>,
        depth: usize,
        need: usize,
    ) -> (usize, bool) {
        let required = depth.saturating_add(need).saturating_add(SWITCH_SLACK);
        let mut relocated = false;
        if self.newest().len() < required {
            self.relocate(fd, required);
            relocated = true;
        }
        let newest = self.newest();
        ((newest.top - depth) & !(STACK_ALIGN - 1), relocated)
    }

    /// Maps a new window of at least `required` bytes (at least twice the
    /// newest one), up to the limit.
    fn relocate(&self, fd: BorrowedFd<'_>, required: usize) {
        if required > self.limit {
            panic!(
                "coffi: stack limit of {} bytes reached: {} bytes are needed; raise it with \
                 coffi::Builder::max_stack",
                self.limit, required
            );
        }
        let count = self.count.get();
        assert!(count < MAX_WINDOWS, "coffi: too many windows for one stack");
        let len = crate::os::round_to_page(required.max(self.newest().len().saturating_mul(2)))
            .min(self.limit);
        let window = match Window::map(fd, self.slot_end, len) {
            Ok(window) => window,
            Err(err) => panic!(
                "{}",
                crate::os::os_error("relocating a coroutine stack", err)
            ),
        };
        self.windows[count].set(window);
        self.count.set(count + 1);
        self.relocations.set(self.relocations.get() + 1);
        crate::context::note_relocation(len);
    }

    /// Strict mode: makes every window but the newest read-only, recording
    /// the order so that [`Self::unprotect_to`] can undo it.
    pub(crate) fn protect_older(&self) {
        let newest = self.count.get() - 1;
        for i in 0..newest {
            let mut w = self.windows[i].get();
            if !w.protected {
                w.set_writable(false);
                self.windows[i].set(w);
                let n = self.protected_count.get();
                self.protect_order[n].set(i as u8);
                self.protected_count.set(n + 1);
            }
        }
    }

    /// Strict mode: makes writable again the windows protected after the
    /// first `mark` protections.
    pub(crate) fn unprotect_to(&self, mark: usize) {
        while self.protected_count.get() > mark {
            let n = self.protected_count.get() - 1;
            let i = usize::from(self.protect_order[n].get());
            let mut w = self.windows[i].get();
            w.set_writable(true);
            self.windows[i].set(w);
            self.protected_count.set(n);
        }
    }

    /// Unmaps every window but the first and resets the per-coroutine state,
    /// for reuse of the stack by another coroutine. Returns the largest
    /// window length this stack reached.
    ///
    /// # Safety
    ///
    /// The coroutine that ran on this stack must have finished.
    pub(crate) unsafe fn reset(&self) -> usize {
        self.unprotect_to(0);
        let largest = self.newest().len();
        for i in 1..self.count.get() {
            // SAFETY: the coroutine finished; no frame lives in any window.
            unsafe { self.windows[i].get().unmap() };
        }
        self.count.set(1);
        self.current_top.set(self.first().top);
        self.call_sp.set(0);
        self.relocations.set(0);
        self.yielder.set(std::ptr::null());
        largest
    }

    /// End offset of the slot in the backing.
    pub(crate) fn slot_end(&self) -> usize {
        self.slot_end
    }
}

/// What corosensei sees of a coroutine stack: its first window.
pub(crate) struct FirstWindow {
    pub(crate) base: usize,
    pub(crate) limit: usize,
}

// SAFETY: the first window is mapped, writable, has a guard page below
// `limit`..`bottom`, is far larger than MIN_STACK_SIZE (a page at least),
// and stays mapped until the coroutine is dropped (the pool unmaps it only
// after the coroutine has finished and been dropped).
unsafe impl corosensei::stack::Stack for FirstWindow {
    fn base(&self) -> corosensei::stack::StackPointer {
        corosensei::stack::StackPointer::new(self.base).expect("window top is not null")
    }

    fn limit(&self) -> corosensei::stack::StackPointer {
        corosensei::stack::StackPointer::new(self.limit).expect("window guard is not null")
    }
}
