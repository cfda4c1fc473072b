//! Expansion of `#[export_callback]`: the exported C entry around the body.

use coffi_syntax::{CType, Callback};
use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;

/// `#[export_callback(attr)] item` → the exported entry, or the model's
/// errors followed by the item as written (not exported), so that uses of
/// the function do not add errors of their own.
pub(crate) fn expand(attr: TokenStream, item: TokenStream) -> TokenStream {
    let item = match syn::parse2::<syn::Item>(item) {
        Ok(item) => item,
        Err(e) => return e.to_compile_error(),
    };
    match coffi_syntax::parse_export_callback(attr, item.clone()) {
        Ok(cb) => expand_callback(&cb),
        Err(e) => {
            let mut out = e.to_compile_error();
            out.extend(quote! {
                #[allow(dead_code, improper_ctypes_definitions)]
                #item
            });
            out
        }
    }
}

/// A `macro_rules!` named after the C symbol, exported to the crate root,
/// so that two callbacks exporting the same symbol in one crate fail to
/// compile (E0428, pointing at both names) instead of failing to link.
fn unique_symbol(cb: &Callback) -> TokenStream {
    let span = cb.c_name_span;
    let name = syn::Ident::new(&format!("__coffi_export_callback_{}", cb.c_name), span);
    quote_spanned! {span=>
        #[doc(hidden)]
        #[allow(non_local_definitions)]
        #[macro_export]
        macro_rules! #name { () => {} }
    }
}

/// Compile-time checks of the scalar types, which `coffi_export.h` spells
/// by their C names: each must be the Rust type of its name (this catches
/// a local alias such as `type c_int = i64;` or `type c_int = char;`), and
/// of the C size.
fn size_checks(cb: &Callback) -> TokenStream {
    let name = cb.rust_name().to_string();
    let params = cb.params.iter().enumerate().map(|(i, p)| {
        let what = match p.ident() {
            Some(id) => format!("parameter `{id}`"),
            None => format!("parameter {i}"),
        };
        (&p.ty, &p.ctype, what)
    });
    let ret = cb
        .ret_ty
        .iter()
        .map(|t| (t, &cb.ret, "the return type".to_owned()));
    let mut checks = TokenStream::new();
    for (ty, ctype, what) in params.chain(ret) {
        let CType::Scalar(s) = ctype else { continue };
        let what = format!("in callback `{name}`, {what}");
        checks.extend(crate::frame::identity_check(ty, &what, s.c_name()));
        let size = s.size();
        let msg = format!(
            "coffi: {what} is not the C `{}` ({size} bytes) that coffi_export.h declares\n\
             help: {}",
            s.c_name(),
            crate::frame::scalar_fix(Some(ty), s.c_name())
        );
        checks.extend(quote_spanned! {ty.span()=>
            ::core::assert!(::core::mem::size_of::<#ty>() == #size, #msg);
        });
    }
    let crosses = crate::frame::assert_crosses(cb.named_types());
    if checks.is_empty() {
        return crosses;
    }
    quote! { const _: () = { #checks }; #crosses }
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
    let unique = unique_symbol(cb);
    let call = match &cb.options.on_panic {
        None => quote_spanned! {span=>
            ::coffi::__private::run_callback(#c_name, #stack, move || -> #ret #block)
        },
        // The value's type is checked against the return type here, so a
        // wrong one is an error (E0308) at the user's expression.
        Some(on_panic) => {
            let value = &on_panic.value;
            let on_panic = quote_spanned! {value.span()=> move || -> #ret { #value } };
            quote_spanned! {span=>
                ::coffi::__private::callback(#c_name, #stack, #on_panic, move || -> #ret #block)
            }
        }
    };
    quote! {
        #(#attrs)*
        #no_mangle
        #vis #sig {
            #unique
            #checks
            #call
        }
    }
}
