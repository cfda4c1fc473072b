//! `#[derive(CStruct)]`: a `#[repr(C)]` struct that crosses to C by value.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{Fields, Type};

/// The derive's output: `CrossesToC` (each field must cross too; its
/// `LAYOUT` folds theirs), and
/// `CallbackReturn` (every field zeroed) where every field has a zero value
/// (a bare fn pointer has none); or the shared model's errors.
pub(crate) fn derive(item: TokenStream) -> TokenStream {
    let item = match syn::parse2::<syn::Item>(item) {
        Ok(item) => item,
        Err(e) => return e.to_compile_error(),
    };
    let st = match coffi_syntax::check_c_struct(&item) {
        Ok(st) => st,
        Err(e) => return e.to_compile_error(),
    };
    let name = &st.ident;
    let types: Vec<&Type> = st.fields.iter().map(|f| &f.ty).collect();
    let mut checks = TokenStream::new();
    let mut layout = quote! {
        let h = ::coffi::__private::layout_fold(::coffi::__private::LAYOUT_SEED, ::core::mem::size_of::<Self>() as u64);
        let h = ::coffi::__private::layout_fold(h, ::core::mem::align_of::<Self>() as u64);
    };
    for (i, field) in st.fields.iter().enumerate() {
        let member = match &field.ident {
            Some(id) => quote!(#id),
            None => {
                let index = syn::Index::from(i);
                quote!(#index)
            }
        };
        let ty = &field.ty;
        // Reading the field type's `LAYOUT` is also the check that it may
        // cross, at the field's type.
        let field_layout = quote_spanned! {ty.span()=>
            <#ty as ::coffi::__private::CrossesToC>::LAYOUT
        };
        layout.extend(quote! {
            let h = ::coffi::__private::layout_fold(h, ::core::mem::offset_of!(Self, #member) as u64);
            let h = ::coffi::__private::layout_fold(h, #field_layout);
        });
        let ty = &field.ty;
        let what = match &field.ident {
            Some(id) => format!("field `{id}` of `{name}`"),
            None => format!("field {i} of `{name}`"),
        };
        if let Some(s) = scalar_of(ty) {
            checks.extend(crate::frame::identity_check(ty, &what, s.c_name()));
        }
    }
    let zeroed = {
        let value = match &st.fields {
            Fields::Named(named) => {
                let fields = named.named.iter().map(|f| {
                    let id = &f.ident;
                    quote!(#id: ::coffi::__private::CallbackReturn::zeroed())
                });
                quote!(#name { #(#fields,)* })
            }
            Fields::Unnamed(unnamed) => {
                let fields = unnamed
                    .unnamed
                    .iter()
                    .map(|_| quote!(::coffi::__private::CallbackReturn::zeroed()));
                quote!(#name(#(#fields,)*))
            }
            Fields::Unit => quote!(#name),
        };
        // The higher-ranked bounds hold off the check to where the struct
        // is returned from a callback: a struct with a bare fn pointer
        // field derives, and needs `on_panic` only there.
        quote! {
            impl ::coffi::__private::CallbackReturn for #name
            where
                #(for<'__coffi> #types: ::coffi::__private::CallbackReturn,)*
            {
                #[inline]
                fn zeroed() -> Self {
                    #value
                }
            }
        }
    };
    quote! {
        const _: () = {
            impl ::coffi::__private::CrossesToC for #name {
                const LAYOUT: u64 = { #layout h };
            }
            #zeroed
            const _: () = { #checks };
        };
    }
}

/// The C scalar a field type names, if any (for the identity check).
fn scalar_of(ty: &Type) -> Option<coffi_syntax::Scalar> {
    let Type::Path(p) = ty else { return None };
    coffi_syntax::Scalar::from_rust_name(&p.path.segments.last()?.ident.to_string())
}
