use core::ffi::c_int;

#[coffi::foreign_call]
pub fn add(a: c_int, b: c_int) -> c_int {
    a + b
}

fn main() {}
