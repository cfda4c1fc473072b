use core::ffi::c_int;

#[coffi::export_callback]
extern "C" fn on_line(line: String) -> c_int {
    line.len() as c_int
}

fn main() {}
