//! Type aliases of C types. The macro sees names only, so an alias the
//! model does not know (`mini_len`) is taken to be a C typedef, which needs
//! `header = ".."` declaring it; the Rust side then asserts at compile time
//! that the alias may cross (an alias of `String` fails: see
//! `ui/alias_to_string.rs`) and compares the frame layout with C's at run
//! time. Aliases named like a C scalar (`size_t`, `c_int`) are checked at
//! compile time to be that type (see `ui/alias_shadows_c_name.rs`); for
//! `size_t` that is `usize` or `c_ulong`, both the C `size_t` on LP64.

#![allow(non_camel_case_types)]

use coffi_ui_tests as _;

pub type mini_len = libc::size_t;
pub type mini_flags = core::ffi::c_int;
// As bindgen writes it with `--no-size_t-is-usize`: the same C type on LP64.
type size_t = std::os::raw::c_ulong;
type c_int = core::ffi::c_int;

#[coffi::foreign_call(header = "c/mini.h")]
unsafe extern "C" {
    fn mini_with_flags(n: mini_len, flags: mini_flags) -> mini_len;
    fn mini_sum(values: *const c_int, n: size_t) -> core::ffi::c_long;
}

fn main() {
    // SAFETY: plain C functions of c/mini.c, given a valid array.
    unsafe {
        assert_eq!(mini_with_flags(16, 1), 17);
        assert_eq!(mini_sum([5, 6].as_ptr(), 2), 11);
    }
}
