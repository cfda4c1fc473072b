//! `#[foreign_call(errno)]`.

use coffi_tests::ffi;

fn set_errno(value: i32) {
    // SAFETY: errno is this thread's.
    unsafe { *libc::__errno_location() = value };
}

#[test]
fn errno_set_by_c_comes_back() {
    let check = || {
        let (value, errno) = ffi::fails_with_erange(21);
        assert_eq!(value, 42);
        assert_eq!(errno, coffi::Errno(libc::ERANGE));
        assert!(errno.is_set());
    };
    check();
    coffi::run(check);
}

#[test]
fn errno_is_zero_when_c_does_not_set_it_even_if_it_was_set_before() {
    let check = || {
        set_errno(libc::EINVAL);
        let (value, errno) = ffi::succeeds_quietly(1);
        assert_eq!(value, 2);
        assert_eq!(errno, coffi::Errno(0));
    };
    check();
    coffi::run(check);
}

#[test]
fn errno_of_a_function_returning_nothing() {
    coffi::run(|| {
        let errno = ffi::void_sets_enoent();
        assert_eq!(errno.to_io_error().kind(), std::io::ErrorKind::NotFound);
    });
}
