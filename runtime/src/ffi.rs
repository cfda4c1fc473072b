//! What coffi exports to C, and `Errno`.

use crate::context::ctx;

/// The top of the window the current coroutine's new frames run in, or 0
/// when no coroutine runs on this thread.
///
/// Generated shims read the same value through the `top` pointer the runtime
/// passes them (see the shim contract in `shim_abi.rs`), before and after
/// calling C, and move their frame pointer by the difference: when a
/// callback relocated the coroutine's stack meanwhile, the frame is then
/// written through the new window. C code of its own may call this to do
/// the same. Declared for C in the generated `coffi.h` as
/// `uintptr_t coffi_topofstack(void);`.
///
/// ```
/// assert_eq!(coffi::coffi_topofstack(), 0);
/// coffi::run(|| assert_eq!(coffi::coffi_topofstack(), coffi::stack_info().unwrap().top));
/// ```
#[unsafe(no_mangle)]
pub extern "C" fn coffi_topofstack() -> usize {
    match ctx().stack() {
        Some(stack) => stack.current_top.get(),
        None => 0,
    }
}

/// The `errno` a C function left, returned by `#[foreign_call(errno)]`
/// functions next to their result (the shim sets `errno = 0` before the call).
///
/// ```
/// let e = coffi::Errno(libc::ERANGE);
/// assert!(e.is_set());
/// assert_eq!(e.to_string(), std::io::Error::from_raw_os_error(libc::ERANGE).to_string());
/// assert!(!coffi::Errno(0).is_set());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct Errno(pub i32);

impl Errno {
    /// Whether the call set a non-zero `errno`.
    ///
    /// ```
    /// assert!(coffi::Errno(libc::EINTR).is_set());
    /// ```
    pub fn is_set(self) -> bool {
        self.0 != 0
    }

    /// The matching `std::io::Error`.
    ///
    /// ```
    /// let err = coffi::Errno(libc::ENOENT).to_io_error();
    /// assert_eq!(err.kind(), std::io::ErrorKind::NotFound);
    /// ```
    pub fn to_io_error(self) -> std::io::Error {
        std::io::Error::from_raw_os_error(self.0)
    }
}

impl std::fmt::Display for Errno {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(&self.to_io_error(), f)
    }
}
