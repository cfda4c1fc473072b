use core::ffi::c_int;

#[coffi::export_callback(stack = 65536, on_panic)]
extern "C" fn on_row(n: c_int) -> c_int {
    n
}

fn main() {}
