//! The Rust frame struct of a trampoline and its layout checks.

use coffi_syntax::{FieldRole, ForeignFn, FrameField, FrameLayout};
use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned;

/// Name of the frame struct inside the trampoline.
pub(crate) fn frame_ident() -> syn::Ident {
    syn::Ident::new("__CoffiFrame", Span::call_site())
}

/// The Rust type of a field, and the span to blame for it.
fn field_type(f: &ForeignFn, field: &FrameField) -> (TokenStream, Span) {
    match field.role {
        FieldRole::Param(i) => {
            let ty = &f.params[i].ty;
            (quote!(#ty), ty.span())
        }
        FieldRole::Return => {
            let ty = f.ret_ty.as_ref().map_or_else(|| quote!(()), |t| quote!(#t));
            let span = f
                .ret_ty
                .as_ref()
                .map_or_else(|| f.rust_name.span(), |t| t.span());
            (quote!(::core::mem::MaybeUninit<#ty>), span)
        }
        FieldRole::Errno => (
            quote!(::core::mem::MaybeUninit<::core::ffi::c_int>),
            f.rust_name.span(),
        ),
    }
}

/// `#[repr(C)] struct __CoffiFrame { p0: .., r: MaybeUninit<..>, errno: .. }`.
pub(crate) fn frame_struct(f: &ForeignFn, layout: &FrameLayout) -> TokenStream {
    let frame = frame_ident();
    let fields = layout.fields.iter().map(|field| {
        let name = format_ident!("{}", field.rust_name());
        let (ty, _) = field_type(f, field);
        quote!(#name: #ty)
    });
    quote! {
        #[repr(C)]
        #[allow(dead_code)]
        struct #frame { #(#fields,)* }
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

/// Compile-time checks of every offset, the size and the alignment the
/// model knows, each pointing at the Rust type it concerns; and
/// `assert_crosses` for the types the model took to be C typedefs.
pub(crate) fn static_checks(f: &ForeignFn, layout: &FrameLayout) -> TokenStream {
    let frame = frame_ident();
    let name = f.rust_name.to_string();
    let mut checks = TokenStream::new();
    for field in &layout.fields {
        let (ty, span) = field_type(f, field);
        if let Some(size) = field.size.filter(|_| field.role != FieldRole::Errno) {
            let msg = format!(
                "coffi: in `{name}`, {} takes {size} bytes in C, but its Rust type has another size: \
                 it is not the C type it names",
                describe(f, field)
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
                 its Rust type is not the C type it names",
                describe(f, field)
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
             a parameter or the return type is not the C type it names"
        );
        checks.extend(quote_spanned! {span=>
            ::core::assert!(
                ::core::mem::size_of::<#frame>() == #size && ::core::mem::align_of::<#frame>() == #align,
                #msg
            );
        });
    }
    let crosses = f.typedef_types().into_iter().map(|ty| {
        quote_spanned! {ty.span()=>
            const _: () = ::coffi::__private::assert_crosses::<#ty>();
        }
    });
    quote! {
        const _: () = { #checks };
        #(#crosses)*
    }
}

/// For frames with typedef fields: `[size, align, offsets..]` of the Rust
/// frame, compared at run time with the table the C shim file exports.
pub(crate) fn runtime_check(
    f: &ForeignFn,
    layout: &FrameLayout,
    c_table: &syn::Ident,
) -> TokenStream {
    let frame = frame_ident();
    let offsets = layout.fields.iter().map(|field| {
        let member = format_ident!("{}", field.rust_name());
        quote!(::core::mem::offset_of!(#frame, #member))
    });
    let len = layout.fields.len() + 2;
    let name = f.rust_name.to_string();
    let header = f
        .options
        .header
        .as_ref()
        .map(|h| h.as_written())
        .unwrap_or_default();
    let msg = format!(
        "coffi: the frame of `{name}` differs between Rust and C (size, align, offsets: C {{:?}}, Rust {{:?}}): \
         a Rust type alias does not match the C typedef of the same name in `{header}`"
    );
    let rust = syn::Ident::new("__coffi_rust_layout", Span::mixed_site());
    quote! {
        let #rust: [usize; #len] = [
            ::core::mem::size_of::<#frame>(),
            ::core::mem::align_of::<#frame>(),
            #(#offsets,)*
        ];
        if #c_table != #rust {
            ::core::panic!(#msg, #c_table, #rust);
        }
    }
}
