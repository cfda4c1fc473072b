#[coffi::export_callback(stack = "big")]
extern "C" fn on_event() {}

fn main() {}
