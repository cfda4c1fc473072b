use core::ffi::{c_char, c_int};

#[coffi::foreign_call]
unsafe extern "C" {
    fn puts(s: *const c_char) -> c_int;
    fn printf(format: *const c_char, ...) -> c_int;
}

fn main() {}
