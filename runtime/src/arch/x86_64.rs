//! x86_64 System V.

use super::OnStackFn;
use core::arch::asm;

/// Current stack pointer.
#[inline(always)]
pub(crate) fn stack_pointer() -> usize {
    let sp: usize;
    // SAFETY: reads rsp into a register; touches no memory and no flags.
    unsafe { asm!("mov {}, rsp", out(reg) sp, options(nomem, nostack, preserves_flags)) };
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
    // SAFETY: the caller guarantees the new stack; r12 is callee-saved, so it
    // survives `f` and brings the old stack pointer back. The asm block is
    // entered with rsp aligned for a call (no `nostack`), so the old stack's
    // red zone holds nothing. All caller-saved registers are clobbered.
    unsafe {
        asm!(
            "mov r12, rsp",
            "mov rsi, rsp",
            "mov rsp, rdx",
            "call rax",
            "mov rsp, r12",
            in("rdi") arg,
            in("rdx") new_sp,
            in("rax") f,
            out("r12") _,
            clobber_abi("C"),
        )
    }
}

/// Calls `f(arg, caller_sp)` with the stack pointer moved by `offset` bytes
/// (the delta between two windows aliasing the same stack), then restores it.
///
/// # Safety
///
/// `offset` must be a multiple of 16 and `rsp + offset` the same depth in a
/// writable alias of the current stack, with room for `f`. `f` must not unwind.
#[inline(always)]
pub(crate) unsafe fn call_with_stack_offset(arg: *mut u8, offset: isize, f: OnStackFn) {
    debug_assert_eq!(offset.rem_euclid(super::STACK_ALIGN as isize), 0);
    // SAFETY: as for `call_on_stack`; rsp is call-aligned at the asm block's
    // entry and `offset` keeps that alignment.
    unsafe {
        asm!(
            "mov r12, rsp",
            "mov rsi, rsp",
            "add rsp, rdx",
            "call rax",
            "mov rsp, r12",
            in("rdi") arg,
            in("rdx") offset,
            in("rax") f,
            out("r12") _,
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
    unsafe {
        (*context.cast::<libc::ucontext_t>()).uc_mcontext.gregs[libc::REG_RSP as usize] as usize
    }
}
