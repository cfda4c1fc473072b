//! `extern "C-unwind"` blocks, callbacks and fn pointers.

use coffi_ui_tests as _;
use core::ffi::{c_int, c_long};

#[coffi::foreign_call]
unsafe extern "C-unwind" {
    fn labs(x: c_long) -> c_long;
}

#[coffi::foreign_call]
unsafe extern "C" {
    fn mini_call_twice(f: extern "C-unwind" fn(c_int) -> c_int, x: c_int) -> c_int;
}

#[coffi::export_callback]
extern "C-unwind" fn ui_triple(x: c_int) -> c_int {
    3 * x
}

fn main() {
    coffi::run(|| {
        // SAFETY: plain C functions of libc and c/mini.c.
        unsafe {
            assert_eq!(labs(-4), 4);
            assert_eq!(mini_call_twice(ui_triple, 5), 45);
        }
    });
}
