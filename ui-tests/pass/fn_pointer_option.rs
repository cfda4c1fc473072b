//! `Option<unsafe extern "C" fn(..)>` parameters: libc's `qsort` with a
//! comparator that C calls back, on the coroutine's stack.

use coffi_ui_tests as _;
use core::ffi::{c_int, c_void};

#[coffi::foreign_call]
unsafe extern "C" {
    fn qsort(
        base: *mut c_void,
        nmemb: usize,
        size: usize,
        compar: Option<unsafe extern "C" fn(*const c_void, *const c_void) -> c_int>,
    );
    fn mini_apply(f: Option<extern "C" fn(c_int) -> c_int>, x: c_int) -> c_int;
}

#[coffi::export_callback]
unsafe extern "C" fn ui_compare_ints(a: *const c_void, b: *const c_void) -> c_int {
    // SAFETY: qsort passes pointers to two elements of the `c_int` array.
    let (a, b) = unsafe { (*a.cast::<c_int>(), *b.cast::<c_int>()) };
    a.cmp(&b) as c_int
}

fn main() {
    let sorted = coffi::run(|| {
        let mut v: Vec<c_int> = vec![5, 3, 9, 1, 7];
        // SAFETY: `v` holds `len` elements of `size_of::<c_int>()` bytes.
        unsafe {
            qsort(
                v.as_mut_ptr().cast(),
                v.len(),
                size_of::<c_int>(),
                Some(ui_compare_ints),
            );
            assert_eq!(mini_apply(None, 1), -1);
        }
        v
    });
    assert_eq!(sorted, [1, 3, 5, 7, 9]);
}
