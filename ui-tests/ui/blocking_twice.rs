#[coffi::foreign_call(blocking, errno, blocking)]
unsafe extern "C" {
    fn usleep(us: core::ffi::c_uint) -> core::ffi::c_int;
}

fn main() {}
