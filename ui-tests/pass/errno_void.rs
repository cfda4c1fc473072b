//! `#[foreign_call(errno)]`: `(R, coffi::Errno)`, or just `coffi::Errno`
//! for a function returning nothing.

use coffi_ui_tests as _;
use core::ffi::{c_char, c_int, c_ulong};

#[coffi::foreign_call(errno)]
unsafe extern "C" {
    pub safe fn mini_set_errno(e: c_int);
    pub fn strtoul(s: *const c_char, end: *mut *mut c_char, base: c_int) -> c_ulong;
}

fn main() {
    let coffi::Errno(e) = mini_set_errno(libc::ENOENT);
    assert_eq!(e, libc::ENOENT);
    let null = std::ptr::null_mut();
    // SAFETY: NUL-terminated strings; `end` may be NULL.
    let (n, errno) = unsafe { strtoul(c"99999999999999999999".as_ptr(), null, 10) };
    assert_eq!((n, errno), (c_ulong::MAX, coffi::Errno(libc::ERANGE)));
    // SAFETY: as above.
    let (n, errno) = unsafe { strtoul(c"7".as_ptr(), null, 10) };
    assert_eq!(n, 7);
    assert!(!errno.is_set(), "the shim clears errno before the call");
}
