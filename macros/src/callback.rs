//! Expansion of `#[export_callback]`: the exported C entry around the body.

use coffi_syntax::{CType, Callback};
use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;

/// `#[export_callback(attr)] item` → the exported entry, or the model's errors.
pub(crate) fn expand(attr: TokenStream, item: TokenStream) -> TokenStream {
    let parsed = syn::parse2::<syn::Item>(item)
        .and_then(|item| coffi_syntax::parse_export_callback(attr, item));
    match parsed {
        Ok(cb) => expand_callback(&cb),
        Err(e) => e.to_compile_error(),
    }
}

/// Compile-time size checks of the scalar types, which `coffi_export.h`
/// spells by their C names (this catches a local alias such as
/// `type c_int = i64;`).
fn size_checks(cb: &Callback) -> TokenStream {
    let name = cb.rust_name().to_string();
    let params = cb.params.iter().map(|p| (&p.ty, &p.ctype, "a parameter"));
    let ret = cb.ret_ty.iter().map(|t| (t, &cb.ret, "the return type"));
    params
        .chain(ret)
        .filter_map(|(ty, ctype, what)| match ctype {
            CType::Scalar(s) => {
                let size = s.size();
                let msg = format!(
                    "coffi: in callback `{name}`, {what} is not the C `{}` ({size} bytes) that coffi_export.h declares",
                    s.c_name()
                );
                Some(quote_spanned! {ty.span()=>
                    const _: () = ::core::assert!(::core::mem::size_of::<#ty>() == #size, #msg);
                })
            }
            _ => None,
        })
        .collect()
}

pub(crate) fn expand_callback(cb: &Callback) -> TokenStream {
    let attrs = &cb.attrs;
    let no_mangle = cb.needs_no_mangle.then(|| quote!(#[unsafe(no_mangle)]));
    let vis = &cb.vis;
    let sig = &cb.sig;
    let block = &cb.block;
    let c_name = &cb.c_name;
    let stack = cb.options.stack;
    let ret = cb
        .ret_ty
        .as_ref()
        .map_or_else(|| quote!(()), |t| quote!(#t));
    let span = cb
        .ret_ty
        .as_ref()
        .map_or_else(|| cb.rust_name().span(), |t| t.span());
    let checks = size_checks(cb);
    let call = quote_spanned! {span=>
        ::coffi::__private::run_callback(#c_name, #stack, move || -> #ret #block)
    };
    quote! {
        #(#attrs)*
        #no_mangle
        #vis #sig {
            #checks
            #call
        }
    }
}
