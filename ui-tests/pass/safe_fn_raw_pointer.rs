//! A `safe fn` may take raw pointers, as in Rust's own `unsafe extern`
//! blocks: `safe` is the author's promise that every argument value is fine
//! for the C function, and coffi does not second-guess it. (This one is a
//! promise a real binding should not make: `strlen` reads through `s`.)

use coffi_ui_tests as _;
use core::ffi::c_char;

#[coffi::foreign_call]
unsafe extern "C" {
    pub safe fn strlen(s: *const c_char) -> usize;
}

fn main() {
    assert_eq!(strlen(c"coffi".as_ptr()), 5);
}
