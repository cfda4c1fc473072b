//! `Option` crosses to C only around an `extern "C" fn` pointer: rustc
//! sees through the alias (the build script says the same in its words).

#![allow(non_camel_case_types)]

use core::ffi::c_void;

type handle_t = *mut c_void;

#[coffi::foreign_call]
unsafe extern "C" {
    fn close_handle(h: Option<handle_t>);
}

fn main() {}
