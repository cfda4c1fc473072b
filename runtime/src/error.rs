//! The runtime's error type.

use std::fmt;

/// Why the runtime could not start or could not allocate a coroutine stack.
///
/// The message names the limit that was hit and how to raise it.
///
/// ```
/// let err = coffi::try_spawn(|| ()).unwrap_err();
/// assert_eq!(err.kind(), coffi::ErrorKind::OutsideRuntime);
/// assert!(err.to_string().contains("coffi::run"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    kind: ErrorKind,
    message: String,
}

/// The class of an [`Error`].
///
/// ```
/// assert_ne!(coffi::ErrorKind::MapCountLimit, coffi::ErrorKind::FileLimit);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// Called where no `coffi::run` is active on this thread.
    OutsideRuntime,
    /// `coffi::run` was called inside a running runtime.
    Nested,
    /// A [`Builder`](crate::Builder) setting is out of range.
    Config,
    /// The process has as many memory mappings as `vm.max_map_count` allows.
    MapCountLimit,
    /// The process has as many file descriptors as `RLIMIT_NOFILE` allows.
    FileLimit,
    /// The stack backing would grow past `RLIMIT_FSIZE` (`ulimit -f`).
    FileSizeLimit,
    /// The kernel refused memory (address space or `RLIMIT_AS`).
    OutOfMemory,
    /// Another operating-system error.
    Os,
}

impl Error {
    pub(crate) fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Error {
            kind,
            message: message.into(),
        }
    }

    /// The class of this error.
    ///
    /// ```
    /// let err = coffi::Builder::new().initial_stack(0).run(|| ()).unwrap_err();
    /// assert_eq!(err.kind(), coffi::ErrorKind::Config);
    /// ```
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}
