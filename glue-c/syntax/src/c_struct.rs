//! Structs that cross to C by value: `#[repr(C)]` plus
//! `#[derive(coffi::CStruct)]`. The derive and the build script judge a
//! struct with the same function, [`check_c_struct`].

use crate::diag::{Errors, spanned_err};
use syn::punctuated::Punctuated;
use syn::{Attribute, Fields, Item, ItemStruct, Meta, Token};

/// The layout a struct asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Repr {
    /// `#[repr(C)]`: C's layout, which the C side reproduces.
    C,
    /// `#[repr(C, packed)]`, `#[repr(C, align(N))]` (or `packed`/`align`
    /// alone): a layout the generated C does not reproduce.
    Modified,
    /// No `#[repr(C)]`: Rust may reorder the fields.
    Rust,
}

pub(crate) fn repr_of(attrs: &[Attribute]) -> Repr {
    let (mut c, mut modified) = (false, false);
    for a in attrs.iter().filter(|a| a.path().is_ident("repr")) {
        let Ok(list) = a.parse_args_with(Punctuated::<Meta, Token![,]>::parse_terminated) else {
            continue;
        };
        for meta in &list {
            c |= meta.path().is_ident("C");
            modified |= meta.path().is_ident("packed") || meta.path().is_ident("align");
        }
    }
    match (c, modified) {
        (_, true) => Repr::Modified,
        (true, false) => Repr::C,
        (false, false) => Repr::Rust,
    }
}

/// Checks that `item` may cross to C by value: a struct, `#[repr(C)]`
/// (not `packed` or `align`), not generic, with at least one field. What
/// `#[derive(coffi::CStruct)]` calls, and what the build script requires
/// of a struct a signature takes by value.
///
/// ```
/// let ok: syn::Item = syn::parse_str("#[repr(C)] struct P { x: f64, y: f64 }").unwrap();
/// assert!(coffi_syntax::check_c_struct(&ok).is_ok());
/// let no_repr: syn::Item = syn::parse_str("struct P { x: f64 }").unwrap();
/// let err = coffi_syntax::check_c_struct(&no_repr).unwrap_err().to_string();
/// assert!(err.contains("not `#[repr(C)]`"), "{err}");
/// ```
pub fn check_c_struct(item: &Item) -> syn::Result<&ItemStruct> {
    let Item::Struct(st) = item else {
        return Err(spanned_err(
            item,
            "`CStruct` is for structs: only a `#[repr(C)]` struct crosses to C by value here",
            "pass an enum as its integer type (`c_int`, `u32`) and a union through a pointer",
        ));
    };
    let mut errors = Errors::default();
    let name = &st.ident;
    let hint = format!("write `#[repr(C)]` on `struct {name}`, or pass a pointer to it");
    match repr_of(&st.attrs) {
        Repr::C => {}
        Repr::Rust => errors.push(spanned_err(
            name,
            format!(
                "`{name}` cannot cross to C by value: it is not `#[repr(C)]`, so Rust may reorder \
                 its fields"
            ),
            &hint,
        )),
        Repr::Modified => errors.push(spanned_err(
            name,
            format!(
                "`{name}` cannot cross to C by value: coffi's C side lays out plain `#[repr(C)]` \
                 structs only, not `packed` or `align`"
            ),
            "remove `packed`/`align`, or pass a pointer to it",
        )),
    }
    if !st.generics.params.is_empty() {
        errors.push(spanned_err(
            &st.generics,
            format!("the generic struct `{name}` cannot cross to C by value"),
            "C has one layout per struct: declare one struct per concrete type",
        ));
    }
    if matches!(st.fields, Fields::Unit) || st.fields.is_empty() {
        errors.push(spanned_err(
            name,
            format!("`{name}` has no fields, and C has no empty structs"),
            "pass a pointer instead",
        ));
    }
    errors.finish()?;
    Ok(st)
}
