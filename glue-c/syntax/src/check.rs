//! Misuse reporting: every error points at the offending tokens and ends in
//! a `help:` line saying what to write instead. Several errors are combined
//! with [`syn::Error::combine`] so that one run reports them all.

use proc_macro2::Span;
use quote::ToTokens;
use std::fmt::Display;

/// Which attribute is being checked (some messages depend on it).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Owner {
    ForeignCall,
    Callback,
}

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
pub(crate) fn pretty(tokens: &impl ToTokens) -> String {
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

/// "unknown option" with a "did you mean" hint.
///
/// `accepted` holds `(name, how it is written)` pairs; `other_attr` the
/// option names of the other attribute.
pub(crate) fn unknown_option(
    path: &syn::Path,
    attr: &str,
    accepted: &[(&str, &str)],
    other_attr: &[(&str, &str)],
) -> syn::Error {
    let name = pretty(path);
    let list = accepted
        .iter()
        .map(|(_, written)| format!("`{written}`"))
        .collect::<Vec<_>>()
        .join(" and ");
    let names: Vec<&str> = accepted.iter().map(|(n, _)| *n).collect();
    let hint = if let Some(close) = closest(&name, &names) {
        format!("did you mean `{close}`? `#[{attr}]` accepts {list}")
    } else if other_attr.iter().any(|(n, _)| *n == name) {
        let other = if attr == "foreign_call" {
            "export_callback"
        } else {
            "foreign_call"
        };
        format!("`{name}` is an option of `#[{other}]`; `#[{attr}]` accepts {list}")
    } else {
        format!("`#[{attr}]` accepts {list}")
    };
    spanned_err(
        path,
        format!("unknown option `{name}` for `#[{attr}]`"),
        hint,
    )
}

/// The candidate within a small edit distance of `name`, if any.
fn closest<'a>(name: &str, candidates: &[&'a str]) -> Option<&'a str> {
    candidates
        .iter()
        .map(|c| (edit_distance(name, c), *c))
        .filter(|&(d, c)| d <= 2 && d * 2 < c.len().max(name.len()))
        .min_by_key(|&(d, _)| d)
        .map(|(_, c)| c)
}

/// Levenshtein distance.
pub(crate) fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diag = row[0];
        row[0] = i + 1;
        for (j, &cb) in b.iter().enumerate() {
            let next = (row[j + 1] + 1)
                .min(row[j] + 1)
                .min(diag + usize::from(ca != cb));
            diag = row[j + 1];
            row[j + 1] = next;
        }
    }
    row[b.len()]
}

/// C keywords (C89 to C23) and macros of the standard headers a shim
/// includes: a C function cannot be called by these names.
const C_RESERVED: &[&str] = &[
    "auto",
    "break",
    "case",
    "char",
    "const",
    "continue",
    "default",
    "do",
    "double",
    "else",
    "enum",
    "extern",
    "float",
    "for",
    "goto",
    "if",
    "inline",
    "int",
    "long",
    "register",
    "restrict",
    "return",
    "short",
    "signed",
    "sizeof",
    "static",
    "struct",
    "switch",
    "typedef",
    "union",
    "unsigned",
    "void",
    "volatile",
    "while",
    "_Alignas",
    "_Alignof",
    "_Atomic",
    "_Bool",
    "_Complex",
    "_Generic",
    "_Imaginary",
    "_Noreturn",
    "_Static_assert",
    "_Thread_local",
    "alignas",
    "alignof",
    "bool",
    "constexpr",
    "false",
    "nullptr",
    "static_assert",
    "thread_local",
    "true",
    "typeof",
    "typeof_unqual",
    "errno",
    "offsetof",
    "NULL",
];

/// Checks that `name` can be used as a C identifier in the generated C.
/// `tokens` is what to blame; `fix` says how to rename.
pub(crate) fn c_name(name: &str, tokens: impl ToTokens, fix: &str) -> syn::Result<()> {
    let valid = name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if !valid {
        return Err(spanned_err(
            tokens,
            format!("`{name}` is not a C identifier, and coffi's C shims name the function"),
            fix,
        ));
    }
    if C_RESERVED.contains(&name) {
        return Err(spanned_err(
            tokens,
            format!("`{name}` is a C keyword or standard macro and cannot name a C function"),
            fix,
        ));
    }
    if name.starts_with("__coffi_")
        || name.starts_with("coffi_build_bridge_")
        || name == "coffi_topofstack"
    {
        return Err(spanned_err(
            tokens,
            format!("`{name}` is reserved by coffi"),
            fix,
        ));
    }
    Ok(())
}
