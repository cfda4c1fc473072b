use core::ffi::c_int;

#[coffi::export_callback(on_panic = "x")]
extern "C" fn on_row(n: c_int) -> c_int {
    n
}

fn main() {}
