//! The two stack-switching primitives coffi needs, one module per architecture
//! (like corosensei's `arch/`).
//!
//! Both run a function on another stack and come back, like Go's
//! `asmcgocall`: they save the stack pointer in a callee-saved register, load
//! the new one, call, and restore. No unwinding crosses them: every function
//! run through them is `extern "C"` and catches panics itself.

#[cfg(target_arch = "x86_64")]
mod x86_64;
#[cfg(target_arch = "x86_64")]
pub(crate) use self::x86_64::*;

#[cfg(target_arch = "aarch64")]
mod aarch64;
#[cfg(target_arch = "aarch64")]
pub(crate) use self::aarch64::*;

#[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
compile_error!("coffi supports x86_64 and aarch64 Linux");

/// A function run on another stack: `f(arg, sp_of_the_caller)`.
///
/// The second argument is the exact stack pointer of the code that switched:
/// everything below it on the old stack is free, everything at or above it is
/// live.
pub(crate) type OnStackFn = unsafe extern "C" fn(arg: *mut u8, caller_sp: usize);

/// Alignment of the stack pointer at a call, on both supported ABIs.
pub(crate) const STACK_ALIGN: usize = 16;
