use core::ffi::c_int;

#[coffi::export_callback]
fn on_event(code: c_int) -> c_int {
    code
}

fn main() {}
