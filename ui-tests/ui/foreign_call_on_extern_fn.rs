use core::ffi::c_int;

#[coffi::foreign_call]
pub extern "C" fn twice(x: c_int) -> c_int {
    2 * x
}

fn main() {}
