//! `#[repr(C)]` structs with `#[derive(coffi::CStruct)]` by value: the
//! build script defines the same C struct for the shim (`c/mini.c` defines
//! its own, of the same layout), and a callback returns one to C.

use coffi_ui_tests as _;
use core::ffi::c_int;

#[repr(C)]
#[derive(coffi::CStruct, Clone, Copy, Debug, PartialEq)]
pub struct mini_pair {
    pub a: c_int,
    pub b: f64,
}

#[coffi::foreign_call]
unsafe extern "C" {
    safe fn mini_swap(p: mini_pair) -> mini_pair;
}

fn main() {
    let swapped = coffi::run(|| mini_swap(mini_pair { a: 3, b: 0.5 }));
    assert_eq!(swapped, mini_pair { a: -3, b: 1.5 });
}
