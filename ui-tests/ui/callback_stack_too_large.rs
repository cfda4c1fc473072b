#[coffi::export_callback(stack = 1073741824)]
extern "C" fn on_event() {}

fn main() {}
