//! AArch64 AAPCS64.

use super::OnStackFn;
use core::arch::asm;

/// Current stack pointer.
#[inline(always)]
pub(crate) fn stack_pointer() -> usize {
    let sp: usize;
    // SAFETY: reads sp into a register; touches no memory and no flags.
    unsafe { asm!("mov {}, sp", out(reg) sp, options(nomem, nostack, preserves_flags)) };
    sp
}

/// Calls `f(arg, caller_sp)` with the stack pointer set to `new_sp`, then
/// restores the stack pointer.
///
/// # Safety
///
/// `new_sp` must be 16-byte aligned, the top of writable memory with room for
/// everything `f` does, not overlapping live data. `f` must not unwind.
#[inline(always)]
pub(crate) unsafe fn call_on_stack(arg: *mut u8, new_sp: usize, f: OnStackFn) {
    debug_assert_eq!(new_sp % super::STACK_ALIGN, 0);
    // SAFETY: the caller guarantees the new stack; x20 is callee-saved, so it
    // survives `f` and brings the old stack pointer back. x30 and every other
    // caller-saved register are clobbered through `clobber_abi("C")`.
    unsafe {
        asm!(
            "mov x20, sp",
            "mov x1, sp",
            "mov sp, x2",
            "blr x3",
            "mov sp, x20",
            in("x0") arg,
            in("x2") new_sp,
            in("x3") f,
            out("x20") _,
            clobber_abi("C"),
        )
    }
}

/// Calls `f(arg, caller_sp)` with the stack pointer moved by `offset` bytes
/// (the delta between two windows aliasing the same stack), then restores it.
///
/// # Safety
///
/// `offset` must be a multiple of 16 and `sp + offset` the same depth in a
/// writable alias of the current stack, with room for `f`. `f` must not unwind.
#[inline(always)]
pub(crate) unsafe fn call_with_stack_offset(arg: *mut u8, offset: isize, f: OnStackFn) {
    debug_assert_eq!(offset.rem_euclid(super::STACK_ALIGN as isize), 0);
    // SAFETY: as for `call_on_stack`; sp is always 16-aligned on AArch64 and
    // `offset` keeps that alignment.
    unsafe {
        asm!(
            "mov x20, sp",
            "mov x1, sp",
            "add x2, x20, x2",
            "mov sp, x2",
            "blr x3",
            "mov sp, x20",
            in("x0") arg,
            in("x2") offset,
            in("x3") f,
            out("x20") _,
            clobber_abi("C"),
        )
    }
}

/// The stack pointer of the code a signal interrupted.
///
/// # Safety
///
/// `context` must be the `ucontext_t` the kernel passed to an SA_SIGINFO handler.
pub(crate) unsafe fn interrupted_sp(context: *mut core::ffi::c_void) -> usize {
    // SAFETY: forwarded from the caller.
    unsafe { (*context.cast::<libc::ucontext_t>()).uc_mcontext.sp as usize }
}
