//! Pointer and C alias spellings: `*const *mut c_char`, `*mut *mut c_char`,
//! `libc::size_t`, `core::ffi::c_int`, `std::os::raw::c_long`.

use coffi_ui_tests as _;
use core::ffi::c_char;
use std::ptr::null_mut;

#[coffi::foreign_call]
unsafe extern "C" {
    fn mini_count(argv: *const *mut c_char) -> core::ffi::c_int;
    fn strlen(s: *const c_char) -> libc::size_t;
    fn strtol(
        s: *const c_char,
        end: *mut *mut c_char,
        base: core::ffi::c_int,
    ) -> std::os::raw::c_long;
}

fn main() {
    let mut words = [
        c"a".as_ptr().cast_mut(),
        c"bc".as_ptr().cast_mut(),
        null_mut(),
    ];
    let mut end: *mut c_char = null_mut();
    let s = c"42 rest";
    // SAFETY: NUL-terminated strings, a NULL-terminated array, a valid `end`.
    unsafe {
        assert_eq!(mini_count(words.as_mut_ptr().cast_const()), 2);
        assert_eq!(strlen(s.as_ptr()), 7);
        assert_eq!(strtol(s.as_ptr(), &mut end, 10), 42);
        assert_eq!(end.offset_from(s.as_ptr()), 2);
    }
}
