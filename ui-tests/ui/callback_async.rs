use core::ffi::c_int;

#[coffi::export_callback]
async extern "C" fn on_event(code: c_int) -> c_int {
    code
}

fn main() {}
