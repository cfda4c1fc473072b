//! What to write instead: the errors, with their hints, for Rust types
//! that cannot cross to C. Where a hint depends on which way the value
//! goes, it takes a [`Role`].

use crate::attr::CoffiAttr;
use crate::diag::{pretty, spanned_err};
use syn::{GenericArgument, PathArguments, Type, TypePath};

/// Which way a rejected value would go, so that a hint can say what to
/// write in its place.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Role {
    /// A parameter of a C function: Rust passes it to C.
    PassToC,
    /// The return type of a C function: C gives it to Rust.
    ReturnFromC,
    /// A parameter of a callback: C gives it to Rust.
    TakeFromC,
    /// The return type of a callback: Rust gives it to C.
    ReturnToC,
    /// Inside a fn pointer type (or behind a pointer).
    Nested,
}

/// What to write instead of a Rust string type (`String`, `&str`, `CString`, ..).
pub(crate) fn c_string_hint(role: Role) -> &'static str {
    match role {
        Role::PassToC => {
            "pass `*const c_char`, e.g. from `CString::as_ptr` or `c\"literal\".as_ptr()` \
             (keep the `CString` alive during the call)"
        }
        Role::ReturnFromC => {
            "declare the return type `*const c_char` (or `*mut c_char`) and read it with `CStr::from_ptr`"
        }
        Role::TakeFromC => "take `*const c_char` and read it with `CStr::from_ptr`",
        Role::ReturnToC => {
            "return `*const c_char` to a string that outlives the call, e.g. `c\"literal\".as_ptr()`, \
             or `*mut c_char` from `CString::into_raw` (free it with `CString::from_raw` when C gives it back)"
        }
        Role::Nested => "use `*const c_char`, a pointer to a NUL-terminated C string",
    }
}

pub(crate) fn fat_pointer(pointee: &Type) -> syn::Error {
    if let Type::TraitObject(_) = strip(pointee) {
        return spanned_err(
            pointee,
            format!(
                "a pointer to `{}` is a fat pointer (address and vtable) and cannot cross to C",
                pretty(pointee)
            ),
            format!(
                "box it once more and pass the thin pointer: `Box::into_raw(Box::new(b)).cast::<c_void>()` \
                 with `b: Box<{}>`, as `*mut c_void`",
                pretty(pointee)
            ),
        );
    }
    spanned_err(
        pointee,
        format!(
            "a pointer to `{}` is a fat pointer (address and length) and cannot cross to C",
            pretty(pointee)
        ),
        "pass a thin pointer to the first element (`ptr.cast::<T>()`) and the length separately",
    )
}

pub(crate) fn array(a: &syn::TypeArray, ty: &Type, role: Role) -> syn::Error {
    let elem = pretty(&a.elem);
    let hint = match role {
        Role::PassToC | Role::Nested => format!(
            "pass a pointer to its first element, `*const {elem}` (`arr.as_ptr()`), as C does"
        ),
        Role::TakeFromC => format!(
            "take a pointer to the first element, `*const {elem}`, as C does (an array parameter is a pointer in C)"
        ),
        Role::ReturnFromC | Role::ReturnToC => format!(
            "C functions cannot return arrays: return a pointer to the first element (`*const {elem}`), \
             or write the array through a `*mut {elem}` out-parameter"
        ),
    };
    spanned_err(
        ty,
        format!("array `{}` cannot cross to C by value", pretty(ty)),
        hint,
    )
}

pub(crate) fn reference(r: &syn::TypeReference, ty: &Type, role: Role) -> syn::Error {
    let (problem, hint) = match strip(&r.elem) {
        Type::Path(p) if last_ident(p).as_deref() == Some("str") => (
            format!(
                "`{}` cannot cross to C: Rust strings are not NUL-terminated",
                pretty(ty)
            ),
            c_string_hint(role).to_owned(),
        ),
        Type::Slice(_) => (
            format!("slice reference `{}` cannot cross to C", pretty(ty)),
            slice_hint(role, &elem_of(ty)),
        ),
        pointee => (
            format!("reference `{}` cannot cross to C", pretty(ty)),
            if r.mutability.is_some() {
                format!(
                    "use a raw pointer `*mut {}` (e.g. `&raw mut x`)",
                    pretty(pointee)
                )
            } else {
                format!(
                    "use a raw pointer `*const {}` (e.g. `&raw const x`)",
                    pretty(pointee)
                )
            },
        ),
    };
    spanned_err(ty, problem, hint)
}

/// What to write instead of a slice or a `Vec`.
pub(crate) fn slice_hint(role: Role, elem: &str) -> String {
    match role {
        Role::PassToC => format!(
            "pass a pointer and a length as two parameters, `*const {elem}` and `usize` (`v.as_ptr()`, `v.len()`)"
        ),
        Role::TakeFromC | Role::Nested => format!(
            "take a pointer and a length, `*const {elem}` and `usize`, and view them with `std::slice::from_raw_parts`"
        ),
        Role::ReturnFromC => format!(
            "declare the return type `*mut {elem}`, get the length through an out-parameter, \
             and view them with `std::slice::from_raw_parts`"
        ),
        Role::ReturnToC => format!(
            "return `*mut {elem}` (e.g. from `Vec::leak`) and give C the length through an out-parameter"
        ),
    }
}

/// The element type of a slice or array, or the first type argument of a
/// generic type, for hints (`T` when there is none).
pub(crate) fn elem_of(ty: &Type) -> String {
    match strip(ty) {
        Type::Slice(s) => pretty(&s.elem),
        Type::Array(a) => pretty(&a.elem),
        Type::Reference(r) => elem_of(&r.elem),
        Type::Path(p) => p
            .path
            .segments
            .last()
            .and_then(|seg| match &seg.arguments {
                PathArguments::AngleBracketed(args) => args.args.iter().find_map(|a| match a {
                    GenericArgument::Type(t) => Some(pretty(t)),
                    _ => None,
                }),
                _ => None,
            })
            .unwrap_or_else(|| "T".to_owned()),
        _ => "T".to_owned(),
    }
}

pub(crate) fn strip(ty: &Type) -> &Type {
    match ty {
        Type::Paren(p) => strip(&p.elem),
        Type::Group(g) => strip(&g.elem),
        _ => ty,
    }
}

fn last_ident(p: &TypePath) -> Option<String> {
    p.path
        .segments
        .last()
        .map(|s| syn::ext::IdentExt::unraw(&s.ident).to_string())
}

pub(crate) fn generic(name: &str, ty: &Type, role: Role) -> syn::Error {
    let elem = elem_of(ty);
    let hint = match name {
        "Vec" => slice_hint(role, &elem),
        "Box" => match role {
            Role::PassToC => format!(
                "pass `Box::into_raw(b)` as `*mut {elem}`, and rebuild it with `Box::from_raw` when C gives it back"
            ),
            Role::ReturnToC => format!(
                "return `Box::into_raw(b)` as `*mut {elem}`, and rebuild it with `Box::from_raw` when C gives it back"
            ),
            Role::ReturnFromC => format!(
                "declare the return type `*mut {elem}`; make a `Box` of it with `Box::from_raw` \
                 only if it came from `Box::into_raw`"
            ),
            Role::TakeFromC => format!(
                "take `*mut {elem}`; make a `Box` of it with `Box::from_raw` only if it came from `Box::into_raw`"
            ),
            Role::Nested => format!("use `*mut {elem}`"),
        },
        "Option" => "`Option` crosses only around `extern \"C\" fn` pointers (None is NULL); \
                     for a nullable data pointer use `*const T` / `*mut T`"
            .to_owned(),
        "NonNull" => format!("use `*mut {elem}` (`p.as_ptr()`)"),
        "Rc" | "Arc" => format!("pass `{name}::into_raw(x)` as `*const {elem}`"),
        "Result" => {
            "return a C status code (e.g. `c_int`) and pass outputs through pointers".to_owned()
        }
        _ => "coffi needs a C type: use a raw pointer to it, or a C scalar".to_owned(),
    };
    spanned_err(ty, format!("`{}` cannot cross to C", pretty(ty)), hint)
}

/// A path type the model does not know, outside a pointer and without
/// `header = ".."` (with it, the name would be a C typedef).
pub(crate) fn unknown_type(name: &str, ty: &Type, owner: CoffiAttr) -> syn::Error {
    let hint = match owner {
        CoffiAttr::ForeignCall => format!(
            "define it in a bridged file (`type {name} = c_int;`, `type {name} = *mut Opaque;`, \
             a `#[repr(C)]` struct), or bridge the file that defines it; spell it with a C type (`c_int`, `u32`, `*mut T`, `extern \"C\" fn(..)`, ...), \
             or add `header = \"...\"` to `#[foreign_call]` naming a C header that declares the typedef `{name}`"
        ),
        CoffiAttr::ExportCallback => format!(
            "define it in a bridged file (`type {name} = c_int;`, a `#[repr(C)]` struct), bridge \
             the file that defines it, or spell it with a C type \
             (`c_int`, `u32`, `*mut T`, `extern \"C\" fn(..)`, ...): `#[export_callback]` writes \
             the C prototype itself and cannot use a C typedef `{name}`"
        ),
    };
    spanned_err(
        ty,
        format!(
            "`{}` is not a C type coffi knows: no bridged file defines `type {name} = ..;`",
            pretty(ty)
        ),
        hint,
    )
}
