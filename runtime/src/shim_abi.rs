//! The contract between the runtime and a generated C shim.
//!
//! Every shim `coffi-build` writes is
//! `void __coffi_shim_<name>_<hash>(void *frame, const volatile uintptr_t *top)`
//! (its C text, and the Rust declaration the macro writes, are in
//! `coffi_syntax::shim_abi`, next to the frame layout): `frame` is the
//! trampoline's `#[repr(C)]` frame of arguments and return slot, `top` points
//! at the running coroutine's current window top. The shim reads `*top`
//! before and after calling C and moves `frame` by the difference before it
//! stores the result, because a callback may have moved the stack
//! meanwhile. This is the Rust type of that function.

use core::ffi::c_void;

/// A generated C shim: `void shim(void *frame, const volatile uintptr_t *top)`.
pub type ShimFn = unsafe extern "C" fn(frame: *mut c_void, top: *const usize);
