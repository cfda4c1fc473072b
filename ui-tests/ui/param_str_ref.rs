#[coffi::foreign_call]
unsafe extern "C" {
    fn puts(s: &str) -> core::ffi::c_int;
    fn strerror(errnum: core::ffi::c_int) -> &'static str;
}

fn main() {}
