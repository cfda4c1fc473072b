//! The calling contract between a trampoline (Rust, written by
//! `coffi-macros`) and its shim (C, written by `coffi-build`), stated once:
//!
//! ```c
//! void __coffi_shim_<name>_<hash>(void *frame, const volatile uintptr_t *top);
//! ```
//!
//! `frame` is the trampoline's `#[repr(C)]` frame. `top` points at the
//! running coroutine's current window top (the value `coffi_topofstack()`
//! returns; a constant off a coroutine), which a callback moves when it
//! relocates the stack: the shim reads it before and after the C call and
//! moves its frame pointer by the difference before storing the results.
//! The runtime calls every shim through one Rust type,
//! `coffi::__private::ShimFn`.

use proc_macro2::{Ident, TokenStream};
use quote::quote;

/// The C declarator of a shim named `symbol`, with its parameters named
/// `frame` and `top`, without the semicolon.
///
/// ```
/// use coffi_syntax::shim_abi;
///
/// assert_eq!(
///     shim_abi::c_declarator("s", "a", "t"),
///     "void s(void *a, const volatile uintptr_t *t)"
/// );
/// ```
pub fn c_declarator(symbol: &str, frame: &str, top: &str) -> String {
    format!("void {symbol}(void *{frame}, const volatile uintptr_t *{top})")
}

/// The Rust declaration of a shim inside an `extern "C"` block, named
/// `name` (link it with `#[link_name]`).
///
/// ```
/// let name = proc_macro2::Ident::new("shim", proc_macro2::Span::call_site());
/// let decl = coffi_syntax::shim_abi::rust_declaration(&name).to_string();
/// assert!(decl.starts_with("fn shim (frame : * mut :: core :: ffi :: c_void"), "{decl}");
/// ```
pub fn rust_declaration(name: &Ident) -> TokenStream {
    quote!(fn #name(frame: *mut ::core::ffi::c_void, top: *const usize);)
}

/// The runtime's type of every shim, which the declaration above must
/// coerce to: `::coffi::__private::ShimFn`.
///
/// ```
/// let ty = coffi_syntax::shim_abi::rust_type().to_string();
/// assert_eq!(ty, ":: coffi :: __private :: ShimFn");
/// ```
pub fn rust_type() -> TokenStream {
    quote!(::coffi::__private::ShimFn)
}
