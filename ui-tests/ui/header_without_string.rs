#[coffi::foreign_call(header)]
unsafe extern "C" {
    fn close(fd: core::ffi::c_int) -> core::ffi::c_int;
}

fn main() {}
