use core::ffi::c_int;

#[coffi::foreign_call]
unsafe extern "C" {
    pub fn abs(x: c_int) -> c_int;
}

fn main() {
    let y = abs(-3);
    assert_eq!(y, 3);
}
