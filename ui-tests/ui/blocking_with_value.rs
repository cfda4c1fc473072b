#[coffi::foreign_call(errno, blocking = 1)]
unsafe extern "C" {
    fn usleep(us: core::ffi::c_uint) -> core::ffi::c_int;
}

fn main() {}
