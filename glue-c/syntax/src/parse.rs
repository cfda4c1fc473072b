//! syn items → model. Each function reports every misuse it finds, combined.

use crate::attr::CoffiAttr;
use crate::c_name::check_c_name;
use crate::callback::parse_callback;
use crate::diag::{Errors, blame_both, err, spanned_err};
use crate::model::{Callback, FnSafety, ForeignBlock, ForeignFn};
use crate::options::{ForeignOptions, parse_foreign_options};
use crate::signature::{params, return_type, signature_checks, symbol_name};
use crate::types::{CAbi, CType, TypeCx, abi_of};
use proc_macro2::{Span, TokenStream};
use quote::ToTokens;
use syn::{
    Attribute, Expr, ExprLit, ForeignItem, ForeignItemFn, Item, ItemForeignMod, Lit, Meta, Safety,
};

/// Parses the item under `#[foreign_call(attr)]`, which must be an extern
/// block (this is what the macro calls).
pub fn parse_foreign_call(attr: TokenStream, item: Item) -> syn::Result<ForeignBlock> {
    match item {
        Item::ForeignMod(block) => parse_foreign_block(attr, block),
        Item::Fn(f) => Err(spanned_err(
            blame_both(&f.sig.fn_token, &f.sig.ident),
            "`#[foreign_call]` goes on an `unsafe extern \"C\" { .. }` block of C declarations",
            if f.sig.abi.is_some() {
                "to export this Rust function to C, use `#[export_callback]`"
            } else {
                "declare the C function in a block: `#[foreign_call] unsafe extern \"C\" { fn name(..) -> ..; }`"
            },
        )),
        other => Err(spanned_err(
            item_blame_both(&other),
            "`#[foreign_call]` goes on an `unsafe extern \"C\" { .. }` block of C declarations",
            "declare the C functions in a block: `#[foreign_call] unsafe extern \"C\" { fn name(..) -> ..; }`",
        )),
    }
}

/// Parses the item under `#[export_callback(attr)]`, which must be a
/// function (this is what the macro calls).
///
/// ```
/// let f: syn::Item = syn::parse_str(
///     "extern \"C\" fn cmp(a: *const c_void, b: *const c_void) -> c_int { 0 }",
/// )
/// .unwrap();
/// let cb = coffi_syntax::parse_export_callback(quote::quote!(stack = 65536), f).unwrap();
/// assert_eq!(cb.c_prototype(), "int cmp(const void *, const void *)");
/// assert_eq!(cb.options.stack, 65536);
/// assert!(cb.needs_no_mangle);
/// ```
pub fn parse_export_callback(attr: TokenStream, item: Item) -> syn::Result<Callback> {
    match item {
        Item::Fn(f) => parse_callback(attr, f),
        Item::ForeignMod(_) => Err(spanned_err(
            item_blame_both(&item),
            "`#[export_callback]` goes on a Rust `extern \"C\" fn` with a body",
            "to call C functions declared in an extern block, use `#[foreign_call]`",
        )),
        other => Err(spanned_err(
            item_blame_both(&other),
            "`#[export_callback]` goes on a Rust `extern \"C\" fn` with a body",
            "write `#[export_callback] extern \"C\" fn name(..) -> .. { .. }`",
        )),
    }
}

/// The first tokens of an item, to blame for a misplaced attribute.
fn item_blame_both(item: &Item) -> TokenStream {
    match item {
        Item::Struct(s) => blame_both(&s.struct_token, &s.ident),
        Item::Enum(e) => blame_both(&e.enum_token, &e.ident),
        Item::Mod(m) => blame_both(&m.mod_token, &m.ident),
        Item::Static(s) => blame_both(&s.static_token, &s.ident),
        Item::Const(c) => blame_both(&c.const_token, &c.ident),
        Item::Type(t) => blame_both(&t.type_token, &t.ident),
        Item::Trait(t) => blame_both(&t.trait_token, &t.ident),
        Item::Impl(i) => i.impl_token.to_token_stream(),
        Item::ForeignMod(f) => f.abi.to_token_stream(),
        other => other.to_token_stream(),
    }
}

/// Parses an extern block under `#[foreign_call(attr)]`.
///
/// ```
/// let block: syn::ItemForeignMod = syn::parse_str(r#"
///     unsafe extern "C" {
///         /// Adds.
///         pub fn add(a: c_int, b: c_int) -> c_int;
///         pub safe fn version() -> c_int;
///         #[link_name = "real_name"] fn alias(x: f64) -> f64;
///     }
/// "#).unwrap();
/// let model = coffi_syntax::parse_foreign_block(Default::default(), block).unwrap();
/// let names: Vec<_> = model.fns.iter().map(|f| f.c_prototype()).collect();
/// assert_eq!(names, ["int add(int, int)", "int version(void)", "double real_name(double)"]);
/// assert!(model.fns[1].is_safe());
/// ```
pub fn parse_foreign_block(attr: TokenStream, item: ItemForeignMod) -> syn::Result<ForeignBlock> {
    let mut errors = Errors::default();
    let options = errors.take(parse_foreign_options(attr)).unwrap_or_default();
    let abi = errors
        .take(abi_of(&item.abi, "extern block"))
        .unwrap_or(CAbi::C);
    for a in &item.attrs {
        if let Some(kind) = CoffiAttr::of(a) {
            errors.push(spanned_err(
                a,
                format!(
                    "`#[{}]` cannot be combined with `#[foreign_call]`",
                    kind.name()
                ),
                "give `#[foreign_call(..)]` once, with all options",
            ));
        }
    }
    let block = BlockCx {
        unsafety: item.unsafety.is_some(),
        abi,
        options: &options,
        cx: TypeCx::new(CoffiAttr::ForeignCall, options.header.is_some()),
    };
    let mut fns = Vec::new();
    for foreign in &item.items {
        if let Some(f) = errors.take(foreign_item(foreign, &block)) {
            fns.push(f);
        }
    }
    errors.finish()?;
    Ok(ForeignBlock {
        attrs: item.attrs,
        abi,
        options: options.clone(),
        fns,
    })
}

struct BlockCx<'a> {
    unsafety: bool,
    abi: CAbi,
    options: &'a ForeignOptions,
    cx: TypeCx,
}

fn foreign_item(item: &ForeignItem, block: &BlockCx) -> syn::Result<ForeignFn> {
    match item {
        ForeignItem::Fn(f) => foreign_fn(f, block),
        ForeignItem::Static(s) => Err(spanned_err(
            blame_both(&s.static_token, &s.ident),
            "`#[foreign_call]` bridges functions; a static cannot be called",
            "declare the static in a separate `unsafe extern \"C\"` block without `#[foreign_call]`",
        )),
        ForeignItem::Type(t) => Err(spanned_err(
            blame_both(&t.type_token, &t.ident),
            "foreign types cannot be declared in a `#[foreign_call]` block",
            "declare the type outside, e.g. `#[repr(C)] pub struct Opaque { _private: [u8; 0] }`, \
             and use `*mut Opaque`",
        )),
        ForeignItem::Macro(m) => Err(spanned_err(
            &m.mac.path,
            "macros are not expanded inside a `#[foreign_call]` block: coffi's build script must see every declaration",
            "write the declarations out",
        )),
        other => Err(spanned_err(
            other,
            "this item is not supported in a `#[foreign_call]` block",
            "declare C functions only, as `fn name(arg: c_int) -> c_int;`",
        )),
    }
}

fn foreign_fn(f: &ForeignItemFn, block: &BlockCx) -> syn::Result<ForeignFn> {
    let mut errors = Errors::default();
    let sig = &f.sig;
    signature_checks(sig, CoffiAttr::ForeignCall, &mut errors);
    if let Some(abi) = &sig.abi {
        errors.push(spanned_err(
            abi,
            "a function in an extern block takes the block's ABI",
            "remove the `extern` here",
        ));
    }
    if let Some(v) = &sig.variadic {
        errors.push(spanned_err(
            v.dots,
            "variadic C functions cannot be bridged: the shim needs a fixed prototype",
            "write a C wrapper with fixed parameters (e.g. `int log_int(const char *fmt, int x)`) and bridge that",
        ));
    }
    let safety = match &sig.safety {
        Safety::Default => FnSafety::Unsafe,
        Safety::Safe(t) => {
            if !block.unsafety {
                errors.push(needs_unsafe_block(t.span, "safe"));
            }
            FnSafety::Safe
        }
        Safety::Unsafe(t) => {
            if !block.unsafety {
                errors.push(needs_unsafe_block(t.span, "unsafe"));
            }
            FnSafety::Unsafe
        }
    };
    let mut attrs = Vec::new();
    let mut link_name = None;
    for a in &f.attrs {
        if a.path().is_ident("link_name") {
            if let Some(name) = errors.take(link_name_of(a)) {
                link_name = Some(name);
            }
        } else if let Some(kind) = CoffiAttr::of(a) {
            errors.push(spanned_err(
                a,
                format!(
                    "`#[{}]` cannot go on a function inside a `#[foreign_call]` block",
                    kind.name()
                ),
                "remove it: `#[foreign_call]` on the block covers every function",
            ));
        } else {
            attrs.push(a.clone());
        }
    }
    let symbol = symbol_name(link_name.as_ref(), &sig.ident);
    errors.take(check_c_name(
        &symbol.name,
        symbol.blame,
        "name a plain C identifier with `#[link_name = \"c_symbol\"]`",
    ));
    let params = params(sig, &block.cx, CoffiAttr::ForeignCall, &mut errors);
    let ret = return_type(&sig.output, &block.cx, &mut errors);
    errors.finish()?;
    Ok(ForeignFn {
        attrs,
        vis: f.vis.clone(),
        safety,
        rust_name: sig.ident.clone(),
        c_name: symbol.name,
        c_name_span: symbol.span,
        params,
        ret_ty: ret.written,
        ret: ret.ctype.unwrap_or(CType::Void),
        options: block.options.clone(),
        abi: block.abi,
    })
}

fn needs_unsafe_block(span: Span, word: &str) -> syn::Error {
    err(
        span,
        format!("`{word}` on an item needs an `unsafe extern` block"),
        "write the block as `unsafe extern \"C\" { .. }` (the Rust 2024 form)",
    )
}

fn link_name_of(attr: &Attribute) -> syn::Result<syn::LitStr> {
    if let Meta::NameValue(nv) = &attr.meta
        && let Expr::Lit(ExprLit {
            lit: Lit::Str(s), ..
        }) = &nv.value
    {
        return Ok(s.clone());
    }
    Err(spanned_err(
        attr,
        "`link_name` takes a string",
        "write `#[link_name = \"c_symbol\"]`",
    ))
}
