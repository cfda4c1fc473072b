use core::ffi::{c_int, c_void};

#[coffi::foreign_call]
unsafe extern "C" {
    fn memset(s: *mut c_void, c: c_int, n: usize) -> *mut c_void;
    fn qsort(
        base: *mut c_void,
        nmemb: usize,
        size: usize,
        compar: fn(*const c_void, *const c_void) -> c_int,
    );
}

fn main() {}
