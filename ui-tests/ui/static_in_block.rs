use core::ffi::c_int;

#[coffi::foreign_call]
unsafe extern "C" {
    static X: c_int;
    fn get_x() -> c_int;
}

fn main() {}
