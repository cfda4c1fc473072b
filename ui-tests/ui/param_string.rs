#[coffi::foreign_call]
unsafe extern "C" {
    fn puts(s: String) -> core::ffi::c_int;
    fn getenv(name: *const core::ffi::c_char) -> String;
}

fn main() {}
