#[coffi::export_callback]
extern "C" fn release<T>(ptr: *mut T) {
    drop(ptr);
}

fn main() {}
