//! `safe fn` in an `unsafe extern "C"` block gives a safe Rust function,
//! called here from a plain thread and from a coroutine.

use coffi_ui_tests as _;
use core::ffi::c_int;

#[coffi::foreign_call(header = "c/mini.h")]
unsafe extern "C" {
    pub safe fn mini_add(a: c_int, b: c_int) -> c_int;
}

#[coffi::foreign_call]
unsafe extern "C" {
    pub safe fn abs(x: c_int) -> c_int;
}

fn main() {
    assert_eq!(mini_add(1, 2), 3);
    let r = coffi::run(|| abs(-7) + mini_add(10, 20));
    assert_eq!(r, 37);
}
