//! Errors of the build-script side, located in the scanned files.

use std::fmt;

/// One error: where, and the same message the macro gives.
///
/// ```
/// let err = coffi_build::generate("\n#[coffi::export_callback(stack = 0)]\nextern \"C\" fn f() {}")
///     .unwrap_err();
/// let d = &err.diagnostics()[0];
/// assert_eq!(d.line, 2);
/// assert!(d.message.contains("stack = 0"), "{}", d.message);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    /// The file, as given to [`bridge`](crate::bridge) (relative to the
    /// manifest directory).
    pub file: String,
    /// 1-based line.
    pub line: usize,
    /// 1-based column (in characters).
    pub column: usize,
    /// The message, e.g. "`String` cannot cross to C\nhelp: ...".
    pub message: String,
}

/// An item with the place it comes from: what the generators hand around so
/// that a later error (a C name declared twice) can say where.
pub(crate) struct Located<T> {
    pub item: T,
    pub file: String,
    pub line: usize,
    pub column: usize,
}

impl<T> Located<T> {
    /// An error at this item's place.
    pub(crate) fn error(&self, message: String) -> Error {
        Error::new(vec![Diagnostic {
            file: self.file.clone(),
            line: self.line,
            column: self.column,
            message,
        }])
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: error: {}",
            self.file, self.line, self.column, self.message
        )
    }
}

/// The errors found in the bridged files.
///
/// ```
/// let err = coffi_build::generate("#[coffi::foreign_call(errnp)] unsafe extern \"C\" {}").unwrap_err();
/// let d = &err.diagnostics()[0];
/// assert_eq!((d.file.as_str(), d.line, d.column), ("<source>", 1, 23));
/// assert!(err.to_string().starts_with("<source>:1:23: error: unknown option `errnp`"));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error {
    diagnostics: Vec<Diagnostic>,
}

impl Error {
    pub(crate) fn new(diagnostics: Vec<Diagnostic>) -> Self {
        Error { diagnostics }
    }

    /// Converts `syn` errors (spans within `file`) into diagnostics.
    pub(crate) fn from_syn(file: &str, error: syn::Error) -> Self {
        let diagnostics = error
            .into_iter()
            .map(|e| {
                let start = e.span().start();
                Diagnostic {
                    file: file.to_owned(),
                    line: start.line,
                    column: start.column + 1,
                    message: e.to_string(),
                }
            })
            .collect();
        Error { diagnostics }
    }

    /// Every error, in file order.
    pub fn diagnostics(&self) -> &[Diagnostic] {
        &self.diagnostics
    }

    pub(crate) fn extend(&mut self, other: Error) {
        self.diagnostics.extend(other.diagnostics);
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, d) in self.diagnostics.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{d}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Error {}
