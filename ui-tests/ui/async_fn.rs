#[coffi::foreign_call]
unsafe extern "C" {
    async fn sleep(seconds: core::ffi::c_uint) -> core::ffi::c_uint;
}

fn main() {}
