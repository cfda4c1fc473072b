#[coffi::foreign_call]
unsafe extern "C" {
    fn atexit(callback: Option<extern "system" fn()>) -> core::ffi::c_int;
}

fn main() {}
