#[coffi::foreign_call]
unsafe extern "C" {
    const fn abs(x: core::ffi::c_int) -> core::ffi::c_int;
}

fn main() {}
