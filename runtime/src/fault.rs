//! The fault handler: turns a stack overflow past a guard page, or a strict
//! mode write into an old window, into a clear message and an abort; brings
//! a compacted coroutine's stack back when any thread touches it.
//!
//! It runs on an alternate signal stack (a fault on a full stack cannot push
//! a signal frame there) and chains to the previous handler for every fault
//! that is not coffi's.

use crate::context::{Mode, ThreadCtx, ctx};
use crate::os;
use crate::stack::strict::find_protected;
use core::fmt::Write;
use std::cell::Cell;
use std::mem::MaybeUninit;
use std::sync::Once;
use std::sync::atomic::{AtomicPtr, Ordering};

/// Size of the alternate signal stack coffi installs when a thread has none.
const ALT_STACK_SIZE: usize = 64 * 1024;

static INSTALL: Once = Once::new();
static PREVIOUS_SEGV: AtomicPtr<libc::sigaction> = AtomicPtr::new(std::ptr::null_mut());
static PREVIOUS_BUS: AtomicPtr<libc::sigaction> = AtomicPtr::new(std::ptr::null_mut());

/// Installs the handler for SIGSEGV and SIGBUS, once per process.
pub(crate) fn install() {
    INSTALL.call_once(|| {
        for (signal, previous) in [
            (libc::SIGSEGV, &PREVIOUS_SEGV),
            (libc::SIGBUS, &PREVIOUS_BUS),
        ] {
            // SAFETY: an all-zero sigaction is a valid value to fill in.
            let mut action: libc::sigaction = unsafe { MaybeUninit::zeroed().assume_init() };
            action.sa_sigaction = on_fault as *const () as usize;
            action.sa_flags = libc::SA_SIGINFO | libc::SA_ONSTACK;
            // SAFETY: as above.
            let old: &'static mut libc::sigaction =
                Box::leak(Box::new(unsafe { MaybeUninit::zeroed().assume_init() }));
            // SAFETY: both pointers are valid sigaction values; the handler is
            // an `extern "C"` function with the SA_SIGINFO signature.
            let rc = unsafe {
                libc::sigemptyset(&mut action.sa_mask);
                libc::sigaction(signal, &action, &mut *old)
            };
            if rc == 0 {
                previous.store(old, Ordering::Release);
            }
        }
    });
}

/// Keeps an alternate signal stack of at least [`ALT_STACK_SIZE`] bytes
/// installed on this thread while alive, then restores the previous one.
pub(crate) struct AltStack {
    mapping: Option<(usize, usize)>,
    previous: libc::stack_t,
}

impl AltStack {
    /// Installs an alternate signal stack unless the thread has a large
    /// enough one (the handler formats its message on it).
    pub(crate) fn ensure() -> AltStack {
        // SAFETY: an all-zero stack_t is a valid value to fill in.
        let mut previous: libc::stack_t = unsafe { MaybeUninit::zeroed().assume_init() };
        // SAFETY: a null new stack only queries into `previous`.
        let queried = unsafe { libc::sigaltstack(std::ptr::null(), &mut previous) } == 0;
        let unchanged = AltStack {
            mapping: None,
            previous,
        };
        if !queried
            || (previous.ss_flags & libc::SS_DISABLE == 0 && previous.ss_size >= ALT_STACK_SIZE)
            || previous.ss_flags & libc::SS_ONSTACK != 0
        {
            return unchanged;
        }
        let page = os::page_size();
        let Ok(base) = os::reserve(page + ALT_STACK_SIZE) else {
            return unchanged;
        };
        // SAFETY: the range was just reserved by us.
        if unsafe { os::protect(base + page, ALT_STACK_SIZE, true) }.is_err() {
            // SAFETY: the reservation is ours and unused.
            unsafe { os::unmap(base, page + ALT_STACK_SIZE) };
            return unchanged;
        }
        let stack = libc::stack_t {
            ss_sp: (base + page) as *mut libc::c_void,
            ss_flags: 0,
            ss_size: ALT_STACK_SIZE,
        };
        // SAFETY: the stack is mapped, writable and stays so until `drop`.
        if unsafe { libc::sigaltstack(&stack, std::ptr::null_mut()) } != 0 {
            // SAFETY: the reservation is ours and unused.
            unsafe { os::unmap(base, page + ALT_STACK_SIZE) };
            return unchanged;
        }
        AltStack {
            mapping: Some((base, page + ALT_STACK_SIZE)),
            previous,
        }
    }
}

impl Drop for AltStack {
    fn drop(&mut self) {
        if let Some((base, len)) = self.mapping {
            // SAFETY: no signal handler runs on this thread now (we are in
            // ordinary code); the previous stack is the one the thread had
            // (or disabled), and ours is unused once it is replaced.
            unsafe {
                libc::sigaltstack(&self.previous, std::ptr::null_mut());
                os::unmap(base, len);
            }
        }
    }
}

/// A fixed buffer for messages formatted inside the signal handler, which
/// must not allocate.
struct MessageBuf {
    bytes: [u8; 768],
    len: usize,
}

impl Write for MessageBuf {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        let room = self.bytes.len() - self.len;
        let n = s.len().min(room);
        self.bytes[self.len..self.len + n].copy_from_slice(&s.as_bytes()[..n]);
        self.len += n;
        Ok(())
    }
}

thread_local! {
    /// Set while the handler runs, so a fault inside it is not handled twice.
    static IN_HANDLER: Cell<bool> = const { Cell::new(false) };
}

extern "C" fn on_fault(
    signal: libc::c_int,
    info: *mut libc::siginfo_t,
    context: *mut libc::c_void,
) {
    // SAFETY: the kernel passes a valid siginfo for SA_SIGINFO handlers.
    let addr = unsafe { (*info).si_addr() } as usize;
    // A compacted coroutine's stack, touched by any thread: its bytes come
    // back and the access runs again.
    if signal == libc::SIGSEGV && crate::stack::compact::restore_for_fault(addr) {
        return;
    }
    if !IN_HANDLER.with(|h| h.replace(true)) {
        let mut msg = MessageBuf {
            bytes: [0; 768],
            len: 0,
        };
        // SAFETY: the kernel passes the interrupted context to SA_SIGINFO handlers.
        let sp = unsafe { crate::arch::interrupted_sp(context) };
        if describe(addr, sp, &mut msg) {
            // SAFETY: write(2) and abort(3) are async-signal-safe.
            unsafe {
                libc::write(2, msg.bytes.as_ptr().cast(), msg.len);
                libc::abort();
            }
        }
        IN_HANDLER.with(|h| h.set(false));
    }
    chain(signal, info, context);
}

/// How far below a window a stack pointer may be and still be taken for an
/// overflow of it (a C frame larger than the guard skips over it).
const OVERFLOW_REACH: usize = 8 << 20;

/// Writes the message for a fault at `addr`, with the stack pointer at `sp`,
/// if it is coffi's.
fn describe(addr: usize, sp: usize, msg: &mut MessageBuf) -> bool {
    // A write into a frame alias strict mode protected, by any thread: a
    // stale pointer.
    if let Some(range) = find_protected(addr) {
        let (bottom, top) = range.window;
        let (new_bottom, new_top) = range.newest;
        let delta = new_top as isize - top as isize;
        let _ = write!(
            msg,
            "\ncoffi strict mode: write to {addr:#x} in old window {index} [{bottom:#x}, {top:#x}) \
             of a coroutine stack that moved by {delta:+} bytes to [{new_bottom:#x}, \
             {new_top:#x}) during a foreign call: the write hit the old alias of the call's \
             frame [{start:#x}, {end:#x}). A shim wrote its result through a pointer taken \
             before the stack moved instead of re-deriving it by the stack-top delta; \
             aborting.\n",
            index = range.window_index,
            start = range.start,
            end = range.end,
        );
        return true;
    }
    let ctx = ctx();
    let Some(stack) = ctx.stack() else {
        return describe_scheduler_overflow(ctx, addr, sp, msg);
    };
    if describe_scheduler_overflow(ctx, addr, sp, msg) {
        return true;
    }
    // An overflow: a window's guard was hit or, when a frame larger than the
    // guard jumped over it (code running on the coroutine, outside every
    // window), the window just above the stack pointer.
    let outside_windows = |a: usize| !stack.windows().any(|w| w.contains(a));
    let overflowed = stack
        .windows()
        .enumerate()
        .find(|(_, w)| w.guard_contains(addr))
        .or_else(|| {
            if ctx.mode.get() != Mode::Coroutine || !outside_windows(sp) || !outside_windows(addr) {
                return None;
            }
            stack
                .windows()
                .enumerate()
                .filter(|(_, w)| {
                    sp < w.bottom && w.bottom - sp <= OVERFLOW_REACH && addr < w.bottom
                })
                .min_by_key(|(_, w)| w.bottom - sp)
        });
    let Some((index, window)) = overflowed else {
        return false;
    };
    let _ = write!(
        msg,
        "\ncoffi: stack overflow in a coroutine: fault at {addr:#x} (stack pointer \
         {sp:#x}) past the bottom of window {index} [{:#x}, {:#x}) ({} bytes). Call C \
         that needs stack through #[foreign_call], or give the coroutine more room: \
         raise coffi::Builder::initial_stack, wrap deep code in coffi::maybe_grow, or \
         raise #[export_callback(stack = N)] for callbacks. (A signal handler installed \
         without SA_ONSTACK also runs on the coroutine's stack.) Aborting.\n",
        window.bottom,
        window.top,
        window.len(),
    );
    true
}

/// Writes the message for an overflow of the scheduler stack: a fault in
/// its guard, or, when C running there moved its stack pointer past the
/// whole guard in one frame (a large `alloca` or array, in C built without
/// stack-clash protection), a fault below the guard with the stack pointer
/// below it too.
fn describe_scheduler_overflow(
    ctx: &ThreadCtx,
    addr: usize,
    sp: usize,
    msg: &mut MessageBuf,
) -> bool {
    let (guard, bottom) = ctx.sched_guard.get();
    let in_guard = guard <= addr && addr < bottom;
    let jumped_over = ctx.mode.get() == Mode::Foreign
        && sp < guard
        && guard - sp <= OVERFLOW_REACH
        && addr < guard;
    if !in_guard && !jumped_over {
        return false;
    }
    let _ = write!(
        msg,
        "\ncoffi: stack overflow on the scheduler stack (fault at {addr:#x}, stack pointer \
         {sp:#x}, stack bottom {bottom:#x}): C code called through #[foreign_call] needed more \
         than the scheduler stack has; raise coffi::Builder::scheduler_stack; aborting.\n"
    );
    true
}

/// Passes a fault that is not coffi's to the handler that was there before.
fn chain(signal: libc::c_int, info: *mut libc::siginfo_t, context: *mut libc::c_void) {
    let previous = if signal == libc::SIGBUS {
        &PREVIOUS_BUS
    } else {
        &PREVIOUS_SEGV
    };
    let previous = previous.load(Ordering::Acquire);
    // SAFETY: set once in `install` to a leaked, never-freed sigaction.
    let previous = unsafe { previous.as_ref() };
    match previous {
        Some(prev) if prev.sa_sigaction != libc::SIG_DFL && prev.sa_sigaction != libc::SIG_IGN => {
            if prev.sa_flags & libc::SA_SIGINFO != 0 {
                // SAFETY: the previous handler was installed with SA_SIGINFO,
                // so it has this signature.
                let handler: extern "C" fn(libc::c_int, *mut libc::siginfo_t, *mut libc::c_void) =
                    unsafe { std::mem::transmute(prev.sa_sigaction) };
                handler(signal, info, context);
            } else {
                // SAFETY: a plain handler takes the signal number only.
                let handler: extern "C" fn(libc::c_int) =
                    unsafe { std::mem::transmute(prev.sa_sigaction) };
                handler(signal);
            }
        }
        _ => {
            // Restore the default action; returning re-runs the faulting
            // instruction, which then kills the process as usual.
            // SAFETY: a zeroed sigaction with SIG_DFL is valid.
            unsafe {
                let mut dfl: libc::sigaction = MaybeUninit::zeroed().assume_init();
                dfl.sa_sigaction = libc::SIG_DFL;
                libc::sigaction(signal, &dfl, std::ptr::null_mut());
            }
        }
    }
}
