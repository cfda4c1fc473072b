#[coffi::foreign_call]
unsafe extern "C" {
    fn putchar(c: char) -> core::ffi::c_int;
}

fn main() {}
