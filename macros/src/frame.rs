//! The Rust frame struct of a trampoline and its layout checks.

use coffi_syntax::{FieldRole, ForeignFn, FrameField, FrameLayout, ScalarName, pretty};
use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned;

/// Name of the frame struct inside the trampoline.
pub(crate) fn frame_ident() -> syn::Ident {
    syn::Ident::new("__CoffiFrame", Span::call_site())
}

/// The Rust type of a frame field.
struct FieldType {
    /// The type.
    tokens: TokenStream,
    /// Where to point when the type is wrong: the type as written, or the
    /// function's name when nothing was written.
    blame: Span,
}

fn field_type(f: &ForeignFn, field: &FrameField) -> FieldType {
    match field.role {
        FieldRole::Param(i) => {
            let ty = &f.params[i].ty;
            FieldType {
                tokens: quote!(#ty),
                blame: ty.span(),
            }
        }
        FieldRole::Return => {
            let ty = f.ret_ty.as_ref().map_or_else(|| quote!(()), |t| quote!(#t));
            FieldType {
                tokens: quote!(::core::mem::MaybeUninit<#ty>),
                blame: f
                    .ret_ty
                    .as_ref()
                    .map_or_else(|| f.rust_name.span(), |t| t.span()),
            }
        }
        FieldRole::Errno => FieldType {
            tokens: quote!(::core::mem::MaybeUninit<::core::ffi::c_int>),
            blame: f.rust_name.span(),
        },
    }
}

/// The Rust type of the value a frame field holds (without the
/// `MaybeUninit` of the results), and where it is written.
fn field_value_type(f: &ForeignFn, field: &FrameField) -> (TokenStream, Span) {
    let written = match field.role {
        FieldRole::Param(i) => Some(&f.params[i].ty),
        FieldRole::Return => f.ret_ty.as_ref(),
        FieldRole::Errno => None,
    };
    match written {
        Some(ty) => (quote!(#ty), ty.span()),
        None => (quote!(::core::ffi::c_int), f.rust_name.span()),
    }
}

/// `#[repr(C)] struct __CoffiFrame { p0: .., r: MaybeUninit<..>, errno: .. }`.
pub(crate) fn frame_struct(f: &ForeignFn, layout: &FrameLayout) -> TokenStream {
    let frame = frame_ident();
    let fields = layout.fields.iter().map(|field| {
        let name = format_ident!("{}", field.rust_name());
        let ty = field_type(f, field).tokens;
        quote!(#name: #ty)
    });
    quote! {
        #[repr(C)]
        #[allow(dead_code)]
        struct #frame { #(#fields,)* }
    }
}

/// What a field is, without its C type, for messages.
fn describe_short(f: &ForeignFn, field: &FrameField) -> String {
    match field.role {
        FieldRole::Param(i) => match f.params[i].ident() {
            Some(name) => format!("parameter `{name}`"),
            None => format!("parameter {i}"),
        },
        FieldRole::Return => "the return type".to_owned(),
        FieldRole::Errno => "the saved errno".to_owned(),
    }
}

/// What a field is, for messages.
fn describe(f: &ForeignFn, field: &FrameField) -> String {
    let c = field.ctype.c_spelling();
    match field.role {
        FieldRole::Param(i) => match f.params[i].ident() {
            Some(name) => format!("parameter `{name}` (C `{c}`)"),
            None => format!("parameter {i} (C `{c}`)"),
        },
        FieldRole::Return => format!("the return type (C `{c}`)"),
        FieldRole::Errno => "the saved errno (C `int`)".to_owned(),
    }
}

/// The Rust type of a field as written, for messages.
fn written(f: &ForeignFn, field: &FrameField) -> String {
    match field.role {
        FieldRole::Param(i) => pretty(&f.params[i].ty),
        FieldRole::Return => f.ret_ty.as_ref().map_or_else(|| "()".to_owned(), pretty),
        FieldRole::Errno => "c_int".to_owned(),
    }
}

/// The `help:` of a layout assertion: which Rust type to write.
pub(crate) fn fix(f: &ForeignFn, field: &FrameField) -> String {
    let ty = match field.role {
        FieldRole::Param(i) => Some(&f.params[i].ty),
        FieldRole::Return => f.ret_ty.as_ref(),
        FieldRole::Errno => None,
    };
    scalar_fix(ty, &field.ctype.c_spelling())
}

/// "`c_int` must be the C `int`: ..., or write `core::ffi::c_int`".
pub(crate) fn scalar_fix(ty: Option<&syn::Type>, c: &str) -> String {
    match ty.and_then(scalar_name) {
        Some(scalar) => format!(
            "`{}` must be the C `{c}` here: a local alias or import shadows it; \
             write `{}`",
            scalar.name(),
            scalar.canonical_path()
        ),
        None => format!("use a Rust type that is the C `{c}`"),
    }
}

/// The last segment of a path type, when it names a C scalar.
fn scalar_name(ty: &syn::Type) -> Option<ScalarName> {
    let syn::Type::Path(p) = ty else { return None };
    ScalarName::find(&p.path.segments.last()?.ident.to_string())
}

/// A check that `ty`, written with the name of a C scalar, is the Rust type
/// of that name (not a local alias or import of something else: a `c_int`
/// that is `char` has the right size but is not the C `int`). A local
/// trait implemented only for the right type carries the message.
/// `what` describes the field, `c` is the C spelling.
pub(crate) fn identity_check(ty: &syn::Type, what: &str, c: &str) -> Option<TokenStream> {
    let scalar = scalar_name(ty)?;
    let name = scalar.name();
    let canonical = scalar.rust_types();
    let message =
        format!("coffi: {what} is written `{name}`, the C `{c}`, but here `{name}` is `{{Self}}`");
    let label = format!("not the C `{c}`");
    let note = format!(
        "`{name}` must be the C `{c}`: a local alias or import shadows it; write `{}`",
        scalar.canonical_path()
    );
    let span = ty.span();
    // Named for the messages: "the trait `Is_c_int` is implemented for `i32`".
    let tr = format_ident!("Is_{}", name, span = Span::mixed_site());
    let check = format_ident!("assert_is_{}", name, span = Span::mixed_site());
    let call = quote_spanned! {span=> #check::<#ty>(); };
    Some(quote! {{
        #[diagnostic::on_unimplemented(message = #message, label = #label, note = #note)]
        #[allow(non_camel_case_types)]
        trait #tr {}
        #(impl #tr for #canonical {})*
        const fn #check<T: ?::core::marker::Sized + #tr>() {}
        #call
    }})
}

/// Compile-time checks of every offset, the size and the alignment the
/// model knows, each pointing at the Rust type it concerns. Named types are
/// checked by `runtime_check`.
pub(crate) fn static_checks(f: &ForeignFn, layout: &FrameLayout) -> TokenStream {
    let frame = frame_ident();
    let name = f.rust_name.to_string();
    let mut checks = TokenStream::new();
    for field in &layout.fields {
        let written_ty = match field.role {
            FieldRole::Param(i) => Some(&f.params[i].ty),
            FieldRole::Return => f.ret_ty.as_ref(),
            FieldRole::Errno => None,
        };
        if let (Some(ty), coffi_syntax::CType::Scalar(sc)) = (written_ty, &field.ctype) {
            let what = format!("in `{name}`, {}", describe_short(f, field));
            checks.extend(identity_check(ty, &what, sc.c_name()));
        }
        let FieldType {
            tokens: ty,
            blame: span,
        } = field_type(f, field);
        // A named type's own check is `CrossesToC` (see `runtime_check`),
        // whose message says what the type is.
        let named = matches!(field.ctype, coffi_syntax::CType::Named(_));
        if let Some(size) = field
            .size
            .filter(|_| field.role != FieldRole::Errno && !named)
        {
            let msg = format!(
                "coffi: in `{name}`, {} takes {size} bytes in C, but the Rust type `{}` has another size\n\
                 help: {}",
                describe(f, field),
                written(f, field),
                fix(f, field)
            );
            checks.extend(quote_spanned! {span=>
                ::core::assert!(::core::mem::size_of::<#ty>() == #size, #msg);
            });
        }
        // Offset 0 needs no check: a repr(C) struct starts with its first field.
        if let Some(offset) = field.offset.filter(|&o| o != 0) {
            let member = format_ident!("{}", field.rust_name());
            let msg = format!(
                "coffi: in the frame of `{name}`, {} is not at offset {offset} as in C: \
                 a Rust type before it, or `{}` itself, has another alignment than its C type\n\
                 help: {}",
                describe(f, field),
                written(f, field),
                fix(f, field)
            );
            checks.extend(quote_spanned! {span=>
                ::core::assert!(::core::mem::offset_of!(#frame, #member) == #offset, #msg);
            });
        }
    }
    if let (Some(size), Some(align)) = (layout.size, layout.align) {
        let span = f.rust_name.span();
        let msg = format!(
            "coffi: the frame of `{name}` is not {size} bytes aligned to {align} as in C: \
             a parameter or the return type is not the C type it names\n\
             help: use the C types of `core::ffi` or `libc` (a local alias or import may shadow one)"
        );
        checks.extend(quote_spanned! {span=>
            ::core::assert!(
                ::core::mem::size_of::<#frame>() == #size && ::core::mem::align_of::<#frame>() == #align,
                #msg
            );
        });
    }
    // Named types need no `assert_crosses` here: the run-time layout check
    // reads `CrossesToC::LAYOUT` of each (see `runtime_check`), which is the
    // same compile-time check.
    quote! {
        const _: () = { #checks };
    }
}

/// `assert_crosses` on each named type (an alias, a C typedef), which the
/// model cannot judge from the item: rustc resolves the name and checks
/// that the type may cross, at the type as written.
pub(crate) fn assert_crosses(types: Vec<&syn::Type>) -> TokenStream {
    types
        .into_iter()
        .map(|ty| {
            quote_spanned! {ty.span()=>
                const _: () = ::coffi::__private::assert_crosses::<#ty>();
            }
        })
        .collect()
}

/// For frames with fields of named types: `[size, align, offsets..,
/// layout numbers..]` of the Rust frame, compared at run time with the
/// table the C shim file exports (a struct's layout number covers its
/// fields' offsets: `CrossesToC::LAYOUT`).
pub(crate) fn runtime_check(
    f: &ForeignFn,
    layout: &FrameLayout,
    c_table: &syn::Ident,
    local: &syn::Ident,
) -> TokenStream {
    let frame = frame_ident();
    let offsets = layout.fields.iter().map(|field| {
        let member = format_ident!("{}", field.rust_name());
        quote!(::core::mem::offset_of!(#frame, #member))
    });
    // Each named field: C's flag (1: the build script knew the struct's
    // fields; 0: C has the type from a header, compared by size), then the
    // number to compare. Reading `LAYOUT` is also the compile-time check
    // that the type may cross, at the type as written.
    let first_named = 2 + layout.fields.len();
    let layouts = layout.named_fields().enumerate().map(|(i, field)| {
        let (ty, span) = field_value_type(f, field);
        let flag = first_named + 2 * i;
        let number =
            quote_spanned!(span=> <#ty as ::coffi::__private::CrossesToC>::LAYOUT as usize);
        // The size through the frame's field, not the type: naming the
        // type once keeps rustc's errors about it to one.
        let member = format_ident!("{}", field.rust_name());
        quote! {
            #c_table[#flag],
            if #c_table[#flag] != 0 { #number } else { ::core::mem::size_of_val(&#local.#member) },
        }
    });
    let len = layout.table_len();
    let name = f.rust_name.to_string();
    let cause = match &f.options.header {
        Some(h) => format!(
            "a Rust type alias or struct does not match the C type coffi's build script gave it, \
             or the C typedef of the same name in `{}` (a struct's fields differ)",
            h.as_written()
        ),
        None => "a Rust type alias or struct does not match the C type coffi's build script gave \
                 it (is the file that defines it bridged, and is it the same item?)"
            .to_owned(),
    };
    let msg = format!(
        "coffi: the frame of `{name}` differs between Rust and C (size, align, offsets, layouts of \
         named types: C {{:?}}, Rust {{:?}}): {cause}"
    );
    let rust = syn::Ident::new("__coffi_rust_layout", Span::mixed_site());
    let checked = syn::Ident::new("__COFFI_LAYOUT_CHECKED", Span::mixed_site());
    // Both tables are fixed for the life of the process: compared on the
    // first call only, so later calls pay one relaxed load.
    quote! {
        static #checked: ::core::sync::atomic::AtomicBool =
            ::core::sync::atomic::AtomicBool::new(false);
        if !#checked.load(::core::sync::atomic::Ordering::Relaxed) {
            let #rust: [usize; #len] = [
                ::core::mem::size_of::<#frame>(),
                ::core::mem::align_of::<#frame>(),
                #(#offsets,)*
                #(#layouts)*
            ];
            if #c_table != #rust {
                ::core::panic!(#msg, #c_table, #rust);
            }
            #checked.store(true, ::core::sync::atomic::Ordering::Relaxed);
        }
    }
}
