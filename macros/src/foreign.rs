//! Expansion of `#[foreign_call]`: one trampoline per C function.

use crate::frame::{frame_ident, frame_struct, runtime_check, static_checks};
use coffi_syntax::{FieldRole, ForeignBlock, ForeignFn, shim_abi};
use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote};
use syn::{Attribute, Ident};

/// `#[foreign_call(attr)] item` → the trampolines, or the model's errors
/// followed by the trampolines of the functions that have none (so that
/// calls to them do not add errors of their own).
pub(crate) fn expand(attr: TokenStream, item: TokenStream) -> TokenStream {
    let item = match syn::parse2::<syn::Item>(item) {
        Ok(item) => item,
        Err(e) => return e.to_compile_error(),
    };
    match coffi_syntax::parse_foreign_call(attr.clone(), item.clone()) {
        Ok(block) => expand_block(&block),
        Err(e) => {
            let mut out = e.to_compile_error();
            out.extend(recover(attr, item));
            out
        }
    }
}

/// After an error: the trampolines of the functions of the block that are
/// fine on their own, or the item as written when it is not a block.
fn recover(attr: TokenStream, item: syn::Item) -> TokenStream {
    let syn::Item::ForeignMod(mut block) = item else {
        return quote! {
            #[allow(dead_code)]
            #item
        };
    };
    let fine = |one: &syn::ForeignItem| {
        let mut alone = block.clone();
        alone.items = vec![one.clone()];
        matches!(one, syn::ForeignItem::Fn(_))
            && coffi_syntax::parse_foreign_block(attr.clone(), alone).is_ok()
    };
    let items: Vec<syn::ForeignItem> = block.items.iter().filter(|i| fine(i)).cloned().collect();
    if items.is_empty() {
        return TokenStream::new();
    }
    block.items = items;
    coffi_syntax::parse_foreign_block(attr, block)
        .map(|b| expand_block(&b))
        .unwrap_or_default()
}

/// Attributes of the block that apply to every generated function.
fn propagates(attr: &Attribute) -> bool {
    [
        "cfg", "cfg_attr", "allow", "warn", "deny", "forbid", "expect",
    ]
    .iter()
    .any(|name| attr.path().is_ident(name))
}

pub(crate) fn expand_block(block: &ForeignBlock) -> TokenStream {
    let (common, rest): (Vec<&Attribute>, Vec<&Attribute>) =
        block.attrs.iter().partition(|a| propagates(a));
    let rest: Vec<&Attribute> = rest
        .into_iter()
        .filter(|a| !a.path().is_ident("doc"))
        .collect();
    let mut out = TokenStream::new();
    if !rest.is_empty() {
        // Keep `#[link(..)]` and the like working: an empty block carries them.
        let abi = block.abi.as_str();
        out.extend(quote! { #(#common)* #(#rest)* unsafe extern #abi {} });
    }
    for f in &block.fns {
        out.extend(quote! { #(#common)* });
        out.extend(expand_fn(f));
    }
    out
}

/// The argument names of the trampoline: the declared names, or
/// `__coffi_argN` for `_`.
fn arg_names(f: &ForeignFn) -> Vec<Ident> {
    f.params
        .iter()
        .enumerate()
        .map(|(i, p)| match p.ident() {
            Some(id) => id.clone(),
            None => Ident::new(&format!("__coffi_arg{i}"), Span::mixed_site()),
        })
        .collect()
}

pub(crate) fn expand_fn(f: &ForeignFn) -> TokenStream {
    let layout = f.layout();
    let frame = frame_ident();
    let local = Ident::new("__frame", Span::mixed_site());
    let shim = Ident::new("__coffi_shim", Span::mixed_site());
    let marker = Ident::new("__COFFI_BRIDGED", Span::mixed_site());
    let c_table = Ident::new("__COFFI_C_LAYOUT", Span::mixed_site());
    let (shim_sym, marker_sym, table_sym) = (f.shim_symbol(), f.marker_symbol(), f.layout_symbol());

    let args = arg_names(f);
    let tys = f.params.iter().map(|p| &p.ty);
    let inits = layout.fields.iter().map(|field| {
        let member = format_ident!("{}", field.rust_name());
        match field.role {
            FieldRole::Param(i) => {
                let arg = &args[i];
                quote!(#member: #arg)
            }
            FieldRole::Return | FieldRole::Errno => {
                quote!(#member: ::core::mem::MaybeUninit::uninit())
            }
        }
    });
    let ret_ty = f.ret_ty.as_ref().map(|t| quote!(#t));
    let (output, result) = match (&ret_ty, f.options.errno) {
        (None, false) => (quote!(), quote!()),
        (Some(t), false) => (quote!(-> #t), quote!(#local.r.assume_init())),
        (None, true) => (
            quote!(-> ::coffi::Errno),
            quote!(::coffi::Errno(#local.errno.assume_init())),
        ),
        (Some(t), true) => (
            quote!(-> (#t, ::coffi::Errno)),
            quote!((#local.r.assume_init(), ::coffi::Errno(#local.errno.assume_init()))),
        ),
    };
    let (table_decl, table_check) = if layout.is_known() {
        (quote!(), quote!())
    } else {
        let len = layout.table_len();
        (
            quote! {
                #[link_name = #table_sym]
                static #c_table: [usize; #len];
            },
            runtime_check(f, &layout, &c_table, &local),
        )
    };

    let attrs = &f.attrs;
    let inline = (!attrs.iter().any(|a| a.path().is_ident("inline"))).then(|| quote!(#[inline]));
    let vis = &f.vis;
    let name = &f.rust_name;
    let unsafety = (!f.is_safe()).then(|| quote!(unsafe));
    let shim_decl = shim_abi::rust_declaration(&shim);
    let shim_fn = shim_abi::rust_type();
    let frame_def = frame_struct(f, &layout);
    // `blocking` parks the coroutine while a helper thread runs the shim;
    // otherwise the shim runs on the scheduler stack. The C name is for
    // the runtime's reports (slow calls).
    let call = if f.options.blocking {
        quote!(blocking_call)
    } else {
        quote!(foreign_call)
    };
    let c_name = &f.c_name;
    let checks = static_checks(f, &layout);

    quote! {
        #(#attrs)*
        #inline
        #[allow(non_snake_case, dead_code, clippy::too_many_arguments, clippy::missing_safety_doc)]
        #vis #unsafety fn #name(#(#args: #tys),*) #output {
            #frame_def
            #checks
            unsafe extern "C" {
                #[link_name = #shim_sym]
                #shim_decl
                #[link_name = #marker_sym]
                static #marker: u8;
                #table_decl
            }
            // The declaration above is the runtime's shim type (one contract).
            let _: #shim_fn = #shim;
            let mut #local = #frame { #(#inits,)* };
            // SAFETY: the shim was generated from the same model as the
            // frame (the symbol's hash covers the signature, and the layout
            // is checked above); the frame lives on this stack for the
            // whole call.
            unsafe {
                // Referencing the marker makes a missing
                // `coffi_build::bridge` call a link error naming it.
                ::core::hint::black_box(&raw const #marker);
                #table_check
                ::coffi::__private::#call(#c_name, #shim, &raw mut #local);
                #result
            }
        }
    }
}
