#[coffi::export_callback(stack = 0)]
extern "C" fn on_event() {}

fn main() {}
