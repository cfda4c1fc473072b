use core::ffi::c_int;

#[coffi::export_callback]
extern "C" fn on_event(code: c_int) -> c_int {
    code
}

mod other {
    use core::ffi::c_int;

    #[coffi::export_callback]
    #[unsafe(export_name = "on_event")]
    extern "C" fn handle_event(code: c_int) -> c_int {
        -code
    }
}

fn main() {}
