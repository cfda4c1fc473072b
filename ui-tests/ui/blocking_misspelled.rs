#[coffi::foreign_call(blockng)]
unsafe extern "C" {
    fn usleep(us: core::ffi::c_uint) -> core::ffi::c_int;
}

fn main() {}
