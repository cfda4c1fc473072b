//! `type` aliases need no header: the build script resolves them to the C
//! types they name (through chains, inside fn pointer types, as
//! `Option<Alias>`), for foreign calls and callbacks alike, and the
//! trampoline still compares the frame layout with C's.

#![allow(non_camel_case_types)]

use coffi_ui_tests as _;
use core::ffi::{c_char, c_int, c_void};

type text_t = *const c_char;
type length_t = size_type;
type size_type = usize;
type order_t = c_int;
type element_t = *const c_void;
type ui_compare_fn = unsafe extern "C" fn(element_t, element_t) -> order_t;

#[coffi::foreign_call]
unsafe extern "C" {
    fn strlen(s: text_t) -> length_t;
    fn qsort(base: *mut c_void, nmemb: length_t, size: length_t, compar: Option<ui_compare_fn>);
}

#[coffi::export_callback]
unsafe extern "C" fn ui_compare_aliased(a: element_t, b: element_t) -> order_t {
    // SAFETY: qsort passes pointers to two elements of the `c_int` array.
    let (a, b) = unsafe { (*a.cast::<c_int>(), *b.cast::<c_int>()) };
    b.cmp(&a) as order_t
}

fn main() {
    let (len, sorted) = coffi::run(|| {
        let mut v: Vec<c_int> = vec![5, 3, 9];
        // SAFETY: a NUL-terminated literal; `v` holds `len` `c_int`s.
        unsafe {
            qsort(v.as_mut_ptr().cast(), v.len(), size_of::<c_int>(), Some(ui_compare_aliased));
            (strlen(c"aliased".as_ptr()), v)
        }
    });
    assert_eq!((len, sorted), (7, vec![9, 5, 3]));
}
