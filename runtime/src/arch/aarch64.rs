//! AArch64 AAPCS64.

use super::{OnStackFn, TwoArgFn};
use core::arch::asm;

/// Current stack pointer.
#[inline(always)]
pub(crate) fn stack_pointer() -> usize {
    let sp: usize;
    // SAFETY: reads sp into a register; touches no memory and no flags.
    unsafe { asm!("mov {}, sp", out(reg) sp, options(nomem, nostack, preserves_flags)) };
    sp
}

// The switch: `coffi_0_1_switch_call(arg, new_sp, f)` saves the caller's
// frame record and keeps its stack pointer in x29, moves to `new_sp`, calls
// `f(arg, caller_sp)` and comes back. Its CFI defines the caller's frame by
// x29, so debuggers and backtraces walk from `f` back across the switch.
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
    "mov x3, x1",
    "mov x1, sp",
    "mov sp, x3",
    "blr x2",
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

// `coffi_0_1_switch_call2(arg, new_sp, f, arg2)`: the same switch, calling
// `f(arg, arg2)` (a shim with its stack-top pointer).
core::arch::global_asm!(
    ".pushsection .text.coffi_0_1_switch_call2,\"ax\",%progbits",
    ".p2align 4",
    ".globl coffi_0_1_switch_call2",
    ".hidden coffi_0_1_switch_call2",
    ".type coffi_0_1_switch_call2, %function",
    "coffi_0_1_switch_call2:",
    ".cfi_startproc",
    "stp x29, x30, [sp, #-16]!",
    ".cfi_def_cfa_offset 16",
    ".cfi_offset x29, -16",
    ".cfi_offset x30, -8",
    "mov x29, sp",
    ".cfi_def_cfa_register x29",
    "mov sp, x1",
    "mov x1, x3",
    "blr x2",
    "mov sp, x29",
    ".cfi_def_cfa_register sp",
    "ldp x29, x30, [sp], #16",
    ".cfi_def_cfa_offset 0",
    ".cfi_restore x29",
    ".cfi_restore x30",
    "ret",
    ".cfi_endproc",
    ".size coffi_0_1_switch_call2, . - coffi_0_1_switch_call2",
    ".popsection",
);

unsafe extern "C" {
    #[link_name = "coffi_0_1_switch_call"]
    fn switch_call(arg: *mut u8, new_sp: usize, f: OnStackFn);
    #[link_name = "coffi_0_1_switch_call2"]
    fn switch_call2(arg: *mut u8, new_sp: usize, f: TwoArgFn, arg2: *const usize);
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
    // SAFETY: forwarded from the caller; `switch_call` preserves every
    // callee-saved register and the caller's stack pointer.
    unsafe { switch_call(arg, new_sp, f) }
}

/// Calls `f(arg, arg2)` with the stack pointer set to `new_sp`, then
/// restores the stack pointer.
///
/// # Safety
///
/// As [`call_on_stack`].
#[inline(always)]
pub(crate) unsafe fn call_on_stack2(arg: *mut u8, new_sp: usize, f: TwoArgFn, arg2: *const usize) {
    debug_assert_eq!(new_sp % super::STACK_ALIGN, 0);
    // SAFETY: forwarded from the caller; `switch_call2` preserves every
    // callee-saved register and the caller's stack pointer.
    unsafe { switch_call2(arg, new_sp, f, arg2) }
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
