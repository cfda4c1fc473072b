#[coffi::foreign_call]
unsafe extern "C" {
    fn free<T>(ptr: *mut T);
}

fn main() {}
