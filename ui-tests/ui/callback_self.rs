use core::ffi::c_int;

pub struct Counter {
    n: c_int,
}

impl Counter {
    #[coffi::export_callback]
    extern "C" fn bump(&mut self) -> c_int {
        self.n += 1;
        self.n
    }
}

fn main() {}
