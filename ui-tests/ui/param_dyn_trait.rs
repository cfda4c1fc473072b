#[coffi::foreign_call]
unsafe extern "C" {
    fn log_value(value: dyn std::fmt::Debug);
    fn set_handler(handler: *mut dyn FnMut());
}

fn main() {}
