//! AArch64 AAPCS64.

use core::arch::asm;

/// Current stack pointer.
#[inline(always)]
pub(crate) fn stack_pointer() -> usize {
    let sp: usize;
    // SAFETY: reads sp into a register; touches no memory and no flags.
    unsafe { asm!("mov {}, sp", out(reg) sp, options(nomem, nostack, preserves_flags)) };
    sp
}

// The switch: `coffi_0_1_switch_call(arg, new_sp, f, arg2)` saves the
// caller's frame record and keeps its stack pointer in x29, moves to
// `new_sp`, calls `f(arg, arg2, caller_sp)` and comes back. Its CFI defines
// the caller's frame by x29, so debuggers and backtraces walk from `f` back
// across it.
core::arch::global_asm!(
    ".pushsection .text.coffi_0_1_switch_call,\"ax\",%progbits",
    ".p2align 4",
    ".globl coffi_0_1_switch_call",
    ".hidden coffi_0_1_switch_call",
    ".type coffi_0_1_switch_call, %function",
    "coffi_0_1_switch_call:",
    ".cfi_startproc",
    "stp x29, x30, [sp, #-16]!",
    ".cfi_def_cfa_offset 16",
    ".cfi_offset x29, -16",
    ".cfi_offset x30, -8",
    "mov x29, sp",
    ".cfi_def_cfa_register x29",
    "mov x4, x2",
    "mov x2, sp",
    "mov sp, x1",
    "mov x1, x3",
    "blr x4",
    "mov sp, x29",
    ".cfi_def_cfa_register sp",
    "ldp x29, x30, [sp], #16",
    ".cfi_def_cfa_offset 0",
    ".cfi_restore x29",
    ".cfi_restore x30",
    "ret",
    ".cfi_endproc",
    ".size coffi_0_1_switch_call, . - coffi_0_1_switch_call",
    ".popsection",
);

unsafe extern "C" {
    /// See the assembly above.
    #[link_name = "coffi_0_1_switch_call"]
    pub(super) fn switch_call(arg: *mut u8, new_sp: usize, f: *const (), arg2: *const usize);
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
