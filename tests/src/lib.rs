//! Integration tests of coffi: real C code (in `c/`), compiled through
//! `coffi_build::bridge` in `build.rs` exactly as an application would, and
//! called from coroutines whose stacks really move.

#![deny(unsafe_op_in_unsafe_fn)]
#![warn(missing_docs)]

pub mod ffi;
pub mod observe;
pub mod request;

/// A struct C has from `c/decls.h`, defined here, outside the files the
/// build script reads: the run-time layout check can compare its size only.
#[repr(C)]
#[derive(coffi::CStruct, Clone, Copy, Debug, PartialEq, Eq)]
#[allow(non_camel_case_types)]
pub struct decls_outside {
    /// `a`.
    pub a: core::ffi::c_int,
    /// `-a`.
    pub b: core::ffi::c_int,
}
