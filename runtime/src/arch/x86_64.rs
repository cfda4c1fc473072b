//! x86_64 System V.

use core::arch::asm;

/// Current stack pointer.
#[inline(always)]
pub(crate) fn stack_pointer() -> usize {
    let sp: usize;
    // SAFETY: reads rsp into a register; touches no memory and no flags.
    unsafe { asm!("mov {}, rsp", out(reg) sp, options(nomem, nostack, preserves_flags)) };
    sp
}

/// The switch: `switch_call(arg, new_sp, f, arg2)` saves the caller's stack
/// pointer in rbp (callee-saved), moves to `new_sp`, calls
/// `f(arg, arg2, caller_sp)` and comes back. Its CFI defines the caller's
/// frame by rbp, so debuggers and backtraces walk from `f` back across it.
///
/// A naked Rust function rather than `global_asm!` behind an `extern`
/// block: Rust calls it directly (`call rel32`), where an `extern` function
/// of a position-independent executable is called through the GOT.
///
/// # Safety
///
/// See [`super::on_stack`]: `new_sp` is 16-byte aligned with room for `f`,
/// and `f` has the [`super::SwitchFn`] ABI (or ignores trailing arguments)
/// and does not unwind.
#[unsafe(naked)]
pub(super) unsafe extern "C" fn switch_call(
    arg: *mut u8,
    new_sp: usize,
    f: *const (),
    arg2: *const usize,
) {
    core::arch::naked_asm!(
        ".cfi_startproc",
        "push rbp",
        ".cfi_def_cfa_offset 16",
        ".cfi_offset rbp, -16",
        "mov rbp, rsp",
        ".cfi_def_cfa_register rbp",
        "mov rax, rdx",
        "mov rdx, rsp",
        "mov rsp, rsi",
        "mov rsi, rcx",
        "call rax",
        "mov rsp, rbp",
        "pop rbp",
        ".cfi_def_cfa rsp, 8",
        "ret",
        ".cfi_endproc",
    )
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
