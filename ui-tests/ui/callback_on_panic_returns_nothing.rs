#[coffi::export_callback(on_panic = -1)]
extern "C" fn on_event() {}

fn main() {}
