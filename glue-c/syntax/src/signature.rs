//! What `#[foreign_call]` functions and `#[export_callback]` functions
//! share: the checks of a signature, its parameters and return type, and
//! the C symbol name.

use crate::attr::CoffiAttr;
use crate::diag::{Errors, pretty, spanned_err};
use crate::model::Param;
use crate::types::{CType, Pos, TypeCx, classify};
use proc_macro2::{Span, TokenStream};
use quote::ToTokens;
use syn::ext::IdentExt;
use syn::{FnArg, Pat, ReturnType, Signature, Type};

/// Checks shared by foreign functions and callbacks.
pub(crate) fn signature_checks(sig: &Signature, owner: CoffiAttr, errors: &mut Errors) {
    let what = match owner {
        CoffiAttr::ForeignCall => "a C function",
        CoffiAttr::ExportCallback => "an exported callback",
    };
    if let Some(c) = &sig.constness {
        errors.push(spanned_err(
            c,
            format!("{what} cannot be `const fn`: it cannot run at compile time"),
            "remove `const`",
        ));
    }
    if let Some(a) = &sig.asyncness {
        errors.push(spanned_err(
            a,
            format!("{what} cannot be `async`"),
            "remove `async`: C calls are synchronous (coffi runs them on the scheduler stack); \
             a coroutine calling it simply waits",
        ));
    }
    if !sig.generics.params.is_empty() {
        errors.push(spanned_err(
            &sig.generics,
            format!("{what} cannot be generic: C has one prototype per symbol"),
            "declare one function per concrete C type",
        ));
    } else if let Some(w) = &sig.generics.where_clause {
        errors.push(spanned_err(
            w,
            format!("{what} cannot have a `where` clause"),
            "remove it",
        ));
    }
}

pub(crate) fn params(
    sig: &Signature,
    cx: &TypeCx,
    owner: CoffiAttr,
    errors: &mut Errors,
) -> Vec<Param> {
    let mut out = Vec::new();
    for arg in &sig.inputs {
        match arg {
            FnArg::Receiver(r) => errors.push(spanned_err(
                r.self_token,
                "`self` cannot cross to C: C functions have no receiver",
                match owner {
                    CoffiAttr::ForeignCall => "declare a pointer parameter instead, e.g. `this: *mut T`",
                    CoffiAttr::ExportCallback => {
                        "make it a free function taking a pointer, e.g. `extern \"C\" fn cb(this: *mut T)`"
                    }
                },
            )),
            FnArg::Typed(pt) => {
                if owner == CoffiAttr::ForeignCall && !plain_pattern(&pt.pat) {
                    errors.push(spanned_err(
                        &pt.pat,
                        format!(
                            "the pattern `{}` is not allowed in a foreign function declaration",
                            pretty(&pt.pat)
                        ),
                        "use a plain name or `_`",
                    ));
                }
                if let Some(ctype) = errors.take(classify(&pt.ty, cx, Pos::Param)) {
                    out.push(Param { pat: (*pt.pat).clone(), ty: (*pt.ty).clone(), ctype });
                }
            }
        }
    }
    out
}

fn plain_pattern(pat: &Pat) -> bool {
    match pat {
        Pat::Ident(p) => p.by_ref.is_none() && p.mutability.is_none() && p.subpat.is_none(),
        Pat::Wild(_) => true,
        _ => false,
    }
}

/// A return type: as written, and as C sees it.
pub(crate) struct Return {
    /// The Rust type as written (`None` for no `->` or `-> ()`).
    pub written: Option<Type>,
    /// The C type (`None` when it cannot cross; the error is recorded).
    pub ctype: Option<CType>,
}

pub(crate) fn return_type(output: &ReturnType, cx: &TypeCx, errors: &mut Errors) -> Return {
    match output {
        ReturnType::Default => Return {
            written: None,
            ctype: Some(CType::Void),
        },
        ReturnType::Type(_, ty) => {
            let ctype = errors.take(classify(ty, cx, Pos::Return));
            let written = match ctype {
                Some(CType::Void) => None,
                _ => Some((**ty).clone()),
            };
            Return { written, ctype }
        }
    }
}

/// The C symbol of an item, where it comes from, and what to blame when
/// it is not a usable C name.
pub(crate) struct SymbolName {
    pub name: String,
    pub span: Span,
    pub blame: TokenStream,
}

/// The C symbol of an item: the string of `#[link_name]`/`#[export_name]`
/// when given, else the Rust name.
pub(crate) fn symbol_name(explicit: Option<&syn::LitStr>, ident: &syn::Ident) -> SymbolName {
    match explicit {
        Some(lit) => SymbolName {
            name: lit.value(),
            span: lit.span(),
            blame: lit.to_token_stream(),
        },
        None => SymbolName {
            name: ident.unraw().to_string(),
            span: ident.span(),
            blame: ident.to_token_stream(),
        },
    }
}
