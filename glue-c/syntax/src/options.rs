//! Options of `#[foreign_call(..)]` and `#[export_callback(..)]`.

use crate::diag::{pretty, spanned_err};
use crate::suggest::closest;
use proc_macro2::{Span, TokenStream};
use syn::parse::Parser;
use syn::{Expr, Ident, LitInt, LitStr, Token};

/// Default stack room for a callback body: 32 KiB.
pub const DEFAULT_CALLBACK_STACK: usize = 32 * 1024;

/// Largest `stack = N` accepted by `#[export_callback]`: 256 MiB.
pub const MAX_CALLBACK_STACK: usize = 256 * 1024 * 1024;

/// Options of `#[foreign_call]`.
///
/// ```
/// use coffi_syntax::parse_foreign_options;
///
/// let opts = parse_foreign_options(quote::quote!(errno, header = "mylib.h", blocking)).unwrap();
/// assert!(opts.errno && opts.blocking);
/// assert_eq!(opts.header.unwrap().include_directive(), "#include \"mylib.h\"");
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct ForeignOptions {
    /// `blocking`: the trampoline runs the shim on one of the runtime's
    /// helper threads and parks the coroutine until C returns
    /// (`coffi::__private::blocking_call`), so that a C function that
    /// waits does not stall the other coroutines of its thread.
    ///
    /// Only the Rust side changes: the shim is the same C, so the option is
    /// not part of the signature hash (see
    /// [`ForeignFn::signature`](crate::ForeignFn::signature)).
    pub blocking: bool,
    /// `errno`: the shim sets `errno = 0` before the call and returns the
    /// value it has after it; the Rust function returns `(R, coffi::Errno)`
    /// (just `coffi::Errno` when `R` is `()`).
    pub errno: bool,
    /// `header = "mylib.h"`: the shim includes the header instead of
    /// declaring the prototypes, and unknown Rust type names are taken to be
    /// typedefs it declares.
    pub header: Option<Header>,
}

/// The header named by `header = "..."`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Header {
    /// The path: relative to the crate's manifest directory for
    /// `"mylib.h"`, searched on the system include path for `"<zlib.h>"`.
    pub path: String,
    /// Written in angle brackets: `header = "<zlib.h>"`.
    pub system: bool,
}

impl Header {
    /// The string as written in the attribute (`mylib.h`, `<zlib.h>`).
    pub fn as_written(&self) -> String {
        if self.system {
            format!("<{}>", self.path)
        } else {
            self.path.clone()
        }
    }

    /// `#include "mylib.h"` or `#include <zlib.h>`.
    pub fn include_directive(&self) -> String {
        if self.system {
            format!("#include <{}>", self.path)
        } else {
            format!("#include \"{}\"", self.path)
        }
    }
}

/// Options of `#[export_callback]`.
///
/// ```
/// use coffi_syntax::{DEFAULT_CALLBACK_STACK, parse_callback_options};
///
/// let default = parse_callback_options(Default::default()).unwrap();
/// assert_eq!(default.stack, DEFAULT_CALLBACK_STACK);
/// assert!(default.on_panic.is_none());
/// let opts = parse_callback_options(quote::quote!(on_panic = -1, stack = 65536)).unwrap();
/// assert_eq!(opts.stack, 65536);
/// assert_eq!(coffi_syntax::pretty(&opts.on_panic.unwrap().value), "- 1");
/// assert!(parse_callback_options(quote::quote!(stack = 0)).is_err());
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct CallbackOptions {
    /// Bytes of stack the body needs (`stack = N`), default
    /// [`DEFAULT_CALLBACK_STACK`], at most [`MAX_CALLBACK_STACK`].
    pub stack: usize,
    /// `on_panic = EXPR`: what C gets when the body panics (default: the
    /// zeroed value, `coffi::__private::CallbackReturn::zeroed`).
    pub on_panic: Option<OnPanic>,
}

impl Default for CallbackOptions {
    fn default() -> Self {
        CallbackOptions {
            stack: DEFAULT_CALLBACK_STACK,
            on_panic: None,
        }
    }
}

/// The option `on_panic = EXPR` of `#[export_callback]`.
///
/// The value is any Rust expression of the callback's return type. Only the
/// macro uses it (the expression is evaluated, in the callback, when the
/// body has panicked); the build script parses it the same way, so that
/// both accept the same attributes, and needs nothing of it for C. Whether
/// its type is right is the compiler's check, at the expression.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct OnPanic {
    /// The `on_panic` key, for errors about the option as a whole.
    pub key: Ident,
    /// The expression.
    pub value: Expr,
}

const FOREIGN_OPTIONS: &[(&str, &str)] = &[
    ("blocking", "blocking"),
    ("errno", "errno"),
    ("header", "header = \"...\""),
];
const CALLBACK_OPTIONS: &[(&str, &str)] =
    &[("stack", "stack = N"), ("on_panic", "on_panic = EXPR")];

/// Parses the arguments of `#[foreign_call(..)]` (the tokens inside the
/// parentheses; empty for a bare `#[foreign_call]`).
pub fn parse_foreign_options(attr: TokenStream) -> syn::Result<ForeignOptions> {
    let mut opts = ForeignOptions::default();
    let mut seen_errno = false;
    let mut seen_header = false;
    let mut seen_blocking = false;
    let parser = syn::meta::parser(|meta| {
        if meta.path.is_ident("blocking") {
            if std::mem::replace(&mut seen_blocking, true) {
                return Err(duplicate(&meta.path, "blocking"));
            }
            if !meta.input.is_empty() && !meta.input.peek(Token![,]) {
                return Err(spanned_err(
                    &meta.path,
                    "`blocking` takes no value",
                    "write `#[foreign_call(blocking)]`; it combines with `errno` and `header = \"...\"`",
                ));
            }
            opts.blocking = true;
            Ok(())
        } else if meta.path.is_ident("errno") {
            if std::mem::replace(&mut seen_errno, true) {
                return Err(duplicate(&meta.path, "errno"));
            }
            if !meta.input.is_empty() && !meta.input.peek(Token![,]) {
                return Err(spanned_err(
                    &meta.path,
                    "`errno` takes no value",
                    "write `#[foreign_call(errno)]`",
                ));
            }
            opts.errno = true;
            Ok(())
        } else if meta.path.is_ident("header") {
            if std::mem::replace(&mut seen_header, true) {
                return Err(duplicate(&meta.path, "header"));
            }
            let missing = || {
                spanned_err(
                    &meta.path,
                    "`header` takes a string: the C header that declares the functions",
                    "write `header = \"mylib.h\"` (relative to Cargo.toml) or `header = \"<zlib.h>\"`",
                )
            };
            if !meta.input.peek(Token![=]) {
                return Err(missing());
            }
            let lit: LitStr = meta.value()?.parse().map_err(|_| missing())?;
            opts.header = Some(header(&lit)?);
            Ok(())
        } else {
            Err(unknown_option(
                &meta.path,
                "foreign_call",
                FOREIGN_OPTIONS,
                CALLBACK_OPTIONS,
            ))
        }
    });
    parser.parse2(attr)?;
    Ok(opts)
}

/// Parses the arguments of `#[export_callback(..)]`.
pub fn parse_callback_options(attr: TokenStream) -> syn::Result<CallbackOptions> {
    let mut opts = CallbackOptions::default();
    let mut seen_stack = false;
    let parser = syn::meta::parser(|meta| {
        if meta.path.is_ident("on_panic") {
            if opts.on_panic.is_some() {
                return Err(duplicate(&meta.path, "on_panic"));
            }
            let key = meta.path.segments[0].ident.clone();
            let missing = |span: Span| {
                syn::Error::new(
                    span,
                    "`on_panic` takes the value C gets when the body panics\n\
                     help: write e.g. `#[export_callback(on_panic = -1)]`, a value of the callback's return type",
                )
            };
            if !meta.input.peek(Token![=]) {
                return Err(missing(key.span()));
            }
            let value = meta.value()?;
            if value.is_empty() || value.peek(Token![,]) {
                return Err(missing(key.span()));
            }
            let expr: Expr = value.parse()?;
            opts.on_panic = Some(OnPanic { key, value: expr });
            Ok(())
        } else if meta.path.is_ident("stack") {
            if std::mem::replace(&mut seen_stack, true) {
                return Err(duplicate(&meta.path, "stack"));
            }
            let bad = |span: Span| {
                syn::Error::new(
                    span,
                    "`stack` takes an integer number of bytes\n\
                     help: write e.g. `#[export_callback(stack = 65536)]`",
                )
            };
            if !meta.input.peek(Token![=]) {
                return Err(bad(meta.path.segments[0].ident.span()));
            }
            let value = meta.value()?;
            let span = value.span();
            let lit: LitInt = value.parse().map_err(|_| bad(span))?;
            if !value.is_empty() && !value.peek(Token![,]) {
                return Err(bad(span));
            }
            opts.stack = stack_bytes(&lit)?;
            Ok(())
        } else {
            Err(unknown_option(
                &meta.path,
                "export_callback",
                CALLBACK_OPTIONS,
                FOREIGN_OPTIONS,
            ))
        }
    });
    parser.parse2(attr)?;
    Ok(opts)
}

fn duplicate(path: &syn::Path, name: &str) -> syn::Error {
    spanned_err(
        path,
        format!("duplicate option `{name}`"),
        "give each option once",
    )
}

fn header(lit: &LitStr) -> syn::Result<Header> {
    let value = lit.value();
    let bad = |problem: &str| {
        spanned_err(
            lit,
            problem,
            "write `header = \"mylib.h\"` (relative to Cargo.toml) or `header = \"<zlib.h>\"`",
        )
    };
    if value.chars().any(|c| c == '"' || c.is_control()) {
        return Err(bad(
            "the header name cannot contain quotes or control characters",
        ));
    }
    let (path, system) = match value.strip_prefix('<') {
        Some(rest) => match rest.strip_suffix('>') {
            Some(inner) => (inner.trim().to_owned(), true),
            None => return Err(bad("unbalanced `<` in the header name")),
        },
        None => (value.trim().to_owned(), false),
    };
    if path.is_empty() {
        return Err(bad("the header name is empty"));
    }
    if path.contains(['<', '>']) {
        return Err(bad("unbalanced `<` or `>` in the header name"));
    }
    Ok(Header { path, system })
}

fn stack_bytes(lit: &LitInt) -> syn::Result<usize> {
    if !matches!(lit.suffix(), "" | "usize") {
        return Err(spanned_err(
            lit,
            "`stack` takes a plain integer number of bytes",
            "drop the suffix: `stack = 65536`",
        ));
    }
    let too_big = || {
        spanned_err(
            lit,
            format!(
                "`stack = {}` is more than coffi allows",
                lit.base10_digits()
            ),
            format!("a callback may ask for at most {MAX_CALLBACK_STACK} bytes (256 MiB)"),
        )
    };
    let n: u64 = lit.base10_parse().map_err(|_| too_big())?;
    match usize::try_from(n) {
        Ok(0) => Err(spanned_err(
            lit,
            "`stack = 0` leaves the callback body no room",
            format!(
                "give the bytes the body needs; the default is {DEFAULT_CALLBACK_STACK} (32 KiB)"
            ),
        )),
        Ok(n) if n <= MAX_CALLBACK_STACK => Ok(n),
        _ => Err(too_big()),
    }
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
    let written: Vec<String> = accepted
        .iter()
        .map(|(_, written)| format!("`{written}`"))
        .collect();
    let list = match written.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} and {last}", rest.join(", ")),
        _ => written.join(""),
    };
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
