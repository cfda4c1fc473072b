//! Misuse reporting: every error points at the offending tokens and ends in
//! a `help:` line saying what to write instead. Several errors are combined
//! with [`syn::Error::combine`] so that one run reports them all.

use proc_macro2::{Span, TokenStream};
use quote::ToTokens;
use std::fmt::Display;

/// Collects errors; [`Errors::finish`] returns them combined.
#[derive(Default)]
pub(crate) struct Errors(Option<syn::Error>);

impl Errors {
    pub(crate) fn push(&mut self, error: syn::Error) {
        match &mut self.0 {
            Some(all) => all.combine(error),
            None => self.0 = Some(error),
        }
    }

    /// The value of `result`, or `None` after recording its error.
    pub(crate) fn take<T>(&mut self, result: syn::Result<T>) -> Option<T> {
        result.map_err(|e| self.push(e)).ok()
    }

    pub(crate) fn finish(self) -> syn::Result<()> {
        match self.0 {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }
}

/// The message layout used everywhere: the problem, then `help: <hint>`.
pub(crate) fn message(problem: impl Display, hint: impl Display) -> String {
    format!("{problem}\nhelp: {hint}")
}

/// An error spanning `tokens`.
pub(crate) fn spanned_err(
    tokens: impl ToTokens,
    problem: impl Display,
    hint: impl Display,
) -> syn::Error {
    syn::Error::new_spanned(tokens, message(problem, hint))
}

/// An error at `span`.
pub(crate) fn err(span: Span, problem: impl Display, hint: impl Display) -> syn::Error {
    syn::Error::new(span, message(problem, hint))
}

/// Source-like text of some tokens, for messages: `Vec<u8>`, `&mut T`,
/// `extern "C" fn(c_int) -> c_int`.
///
/// ```
/// let ty: syn::Type = syn::parse_str("*const core::ffi::c_char").unwrap();
/// assert_eq!(coffi_syntax::pretty(&ty), "*const core::ffi::c_char");
/// ```
pub fn pretty(tokens: &impl ToTokens) -> String {
    let raw = tokens.to_token_stream().to_string();
    let chars: Vec<char> = raw.chars().collect();
    let mut out = String::with_capacity(raw.len());
    for (i, &c) in chars.iter().enumerate() {
        if c == ' ' {
            let prev = out.chars().last().unwrap_or(' ');
            let next = chars.get(i + 1).copied().unwrap_or(' ');
            let glue_prev = matches!(prev, '(' | '<' | '[' | '&' | '*' | ':' | '!');
            let glue_next = matches!(next, ')' | '>' | ']' | '<' | ',' | '(' | ':' | ';');
            let arrow = next == '-' || (prev == '>' && out.ends_with("->"));
            if (glue_prev || glue_next) && !arrow {
                continue;
            }
        }
        out.push(c);
    }
    out
}

/// Two tokens, to blame together.
pub(crate) fn blame_both(a: &impl ToTokens, b: &impl ToTokens) -> TokenStream {
    let mut tokens = a.to_token_stream();
    b.to_tokens(&mut tokens);
    tokens
}
