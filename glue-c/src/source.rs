//! One bridged file: its text parsed (telling a file that is not valid
//! Rust apart from one that misuses coffi's attributes), its `type`
//! aliases, and its annotated items with their named types resolved.

use crate::cfg::CfgEnv;
use crate::error::{Diagnostic, Error};
use coffi_syntax::{Annotated, TypeDefs};

/// A bridged file, parsed.
pub(crate) struct SourceFile {
    /// The name errors carry (relative to the manifest directory).
    pub(crate) name: String,
    pub(crate) file: syn::File,
}

/// Parses the file `name` holding `text`, and drops what `cfg` disables.
pub(crate) fn parse(name: &str, text: &str, cfg: &CfgEnv) -> Result<SourceFile, Diagnostic> {
    match syn::parse_file(text) {
        Ok(mut file) => {
            cfg.strip(&mut file);
            Ok(SourceFile {
                name: name.to_owned(),
                file,
            })
        }
        Err(e) => Err(syntax_error(name, text, &e)),
    }
}

impl SourceFile {
    /// Adds this file's `type` aliases to `defs`.
    pub(crate) fn add_type_defs(&self, defs: &mut TypeDefs) {
        defs.add_file(&self.file, |ident| {
            format!("{}:{}", self.name, ident.span().start().line)
        });
    }

    /// The annotated items, in file order, with their named types resolved
    /// through `defs`; or the macro's own errors, and those of resolution.
    pub(crate) fn scan(&self, defs: &TypeDefs) -> Result<Vec<Annotated>, Error> {
        let mut items =
            coffi_syntax::scan_file(&self.file).map_err(|e| Error::from_syn(&self.name, e))?;
        let mut errors = Error::new(Vec::new());
        for item in &mut items {
            let resolved = match item {
                Annotated::ForeignBlock(block) => block.resolve(defs),
                Annotated::Callback(cb) => cb.resolve(defs),
            };
            if let Err(e) = resolved {
                errors.extend(Error::from_syn(&self.name, e));
            }
        }
        if errors.diagnostics().is_empty() {
            Ok(items)
        } else {
            Err(errors)
        }
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
