//! One bridged file's text → its annotated items, telling a file that is
//! not valid Rust apart from one that misuses coffi's attributes.

use crate::error::{Diagnostic, Error};
use coffi_syntax::Annotated;

/// What the scan of one file gives.
pub(crate) enum Scanned {
    /// The annotated items, in file order.
    Items(Vec<Annotated>),
    /// The file parses, but misuses the attributes: the macro's own errors.
    Misuse(Error),
    /// The file is not valid Rust.
    SyntaxError(Diagnostic),
}

/// Scans the file `name` holding `text`.
pub(crate) fn scan(name: &str, text: &str) -> Scanned {
    let file = match syn::parse_file(text) {
        Ok(file) => file,
        Err(e) => return Scanned::SyntaxError(syntax_error(name, text, &e)),
    };
    match coffi_syntax::scan_file(&file) {
        Ok(items) => Scanned::Items(items),
        Err(e) => Scanned::Misuse(Error::from_syn(name, e)),
    }
}

/// The syntax error, located. syn's message for text that does not even
/// split into tokens is proc-macro2's "cannot parse string into token
/// stream", which does not say what is wrong: that case gets a message of
/// its own.
fn syntax_error(name: &str, text: &str, error: &syn::Error) -> Diagnostic {
    let (start, detail) = match text.parse::<proc_macro2::TokenStream>() {
        Err(lex) => (
            lex.span().start(),
            "the text does not split into Rust tokens (an unclosed or unmatched \
             delimiter, an unterminated literal or comment, or a character Rust \
             does not allow)"
                .to_owned(),
        ),
        Ok(_) => (error.span().start(), error.to_string()),
    };
    Diagnostic {
        file: name.to_owned(),
        line: start.line,
        column: start.column + 1,
        message: format!(
            "Rust syntax error: {detail}\n\
             help: coffi-build cannot read the attributes of a file that does not parse; \
             rustc shows the syntax error itself when it compiles the file"
        ),
    }
}
