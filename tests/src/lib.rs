//! Integration tests of coffi: real C code (in `c/`), compiled through
//! `coffi_build::bridge` in `build.rs` exactly as an application would, and
//! called from coroutines whose stacks really move.

#![deny(unsafe_op_in_unsafe_fn)]
#![warn(missing_docs)]

pub mod ffi;
pub mod observe;
pub mod request;
