//! syn items → model. Each function reports every misuse it finds, combined.

use crate::check::{Errors, Owner, c_name, err, pretty, spanned_err};
use crate::model::{Callback, FnSafety, ForeignBlock, ForeignFn, Param};
use crate::options::parse_foreign_options;
use crate::types::{CAbi, CType, Pos, TypeCx, abi_of, classify};
use proc_macro2::{Span, TokenStream};
use quote::ToTokens;
use syn::ext::IdentExt;
use syn::{
    Attribute, Expr, ExprLit, FnArg, ForeignItem, ForeignItemFn, Item, ItemForeignMod, Lit, Meta,
    Pat, ReturnType, Safety, Signature,
};

/// Largest number of parameters of a fn pointer a callback may return
/// (the runtime implements `CallbackReturn` up to this arity).
pub const MAX_RETURNED_FN_PTR_PARAMS: usize = 12;

/// Which coffi attribute an attribute is, if any.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CoffiAttr {
    /// `#[foreign_call]` / `#[coffi::foreign_call]`.
    ForeignCall,
    /// `#[export_callback]` / `#[coffi::export_callback]`.
    ExportCallback,
}

impl CoffiAttr {
    /// Recognises `name`, `coffi::name` and `::coffi::name`.
    pub fn of(attr: &Attribute) -> Option<CoffiAttr> {
        let segs: Vec<String> = attr
            .path()
            .segments
            .iter()
            .map(|s| s.ident.to_string())
            .collect();
        let name = match segs.as_slice() {
            [name] => name,
            [krate, name] if krate == "coffi" => name,
            _ => return None,
        };
        match name.as_str() {
            "foreign_call" => Some(CoffiAttr::ForeignCall),
            "export_callback" => Some(CoffiAttr::ExportCallback),
            _ => None,
        }
    }

    /// The attribute's name.
    pub fn name(&self) -> &'static str {
        match self {
            CoffiAttr::ForeignCall => "foreign_call",
            CoffiAttr::ExportCallback => "export_callback",
        }
    }
}

/// Parses the item under `#[foreign_call(attr)]`, which must be an extern
/// block (this is what the macro calls).
pub fn parse_foreign_call(attr: TokenStream, item: Item) -> syn::Result<ForeignBlock> {
    match item {
        Item::ForeignMod(block) => parse_foreign_block(attr, block),
        Item::Fn(f) => Err(spanned_err(
            head(&f.sig.fn_token, &f.sig.ident),
            "`#[foreign_call]` goes on an `unsafe extern \"C\" { .. }` block of C declarations",
            if f.sig.abi.is_some() {
                "to export this Rust function to C, use `#[export_callback]`"
            } else {
                "declare the C function in a block: `#[foreign_call] unsafe extern \"C\" { fn name(..) -> ..; }`"
            },
        )),
        other => Err(spanned_err(
            item_head(&other),
            "`#[foreign_call]` goes on an `unsafe extern \"C\" { .. }` block of C declarations",
            "declare the C functions in a block: `#[foreign_call] unsafe extern \"C\" { fn name(..) -> ..; }`",
        )),
    }
}

/// Parses the item under `#[export_callback(attr)]`, which must be a
/// function (this is what the macro calls).
pub fn parse_export_callback(attr: TokenStream, item: Item) -> syn::Result<Callback> {
    match item {
        Item::Fn(f) => crate::callback::parse_callback(attr, f),
        Item::ForeignMod(_) => Err(spanned_err(
            item_head(&item),
            "`#[export_callback]` goes on a Rust `extern \"C\" fn` with a body",
            "to call C functions declared in an extern block, use `#[foreign_call]`",
        )),
        other => Err(spanned_err(
            item_head(&other),
            "`#[export_callback]` goes on a Rust `extern \"C\" fn` with a body",
            "write `#[export_callback] extern \"C\" fn name(..) -> .. { .. }`",
        )),
    }
}

/// Two tokens, to blame together.
fn head(a: &impl ToTokens, b: &impl ToTokens) -> TokenStream {
    let mut tokens = a.to_token_stream();
    b.to_tokens(&mut tokens);
    tokens
}

/// The first tokens of an item, to blame for a misplaced attribute.
fn item_head(item: &Item) -> TokenStream {
    match item {
        Item::Struct(s) => head(&s.struct_token, &s.ident),
        Item::Enum(e) => head(&e.enum_token, &e.ident),
        Item::Mod(m) => head(&m.mod_token, &m.ident),
        Item::Static(s) => head(&s.static_token, &s.ident),
        Item::Const(c) => head(&c.const_token, &c.ident),
        Item::Type(t) => head(&t.type_token, &t.ident),
        Item::Trait(t) => head(&t.trait_token, &t.ident),
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
        cx: TypeCx::new(Owner::ForeignCall, options.header.is_some()),
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
        unsafety: block.unsafety,
        abi,
        options: options.clone(),
        fns,
    })
}

struct BlockCx<'a> {
    unsafety: bool,
    abi: CAbi,
    options: &'a crate::options::ForeignOptions,
    cx: TypeCx,
}

fn foreign_item(item: &ForeignItem, block: &BlockCx) -> syn::Result<ForeignFn> {
    match item {
        ForeignItem::Fn(f) => foreign_fn(f, block),
        ForeignItem::Static(s) => Err(spanned_err(
            head(&s.static_token, &s.ident),
            "`#[foreign_call]` bridges functions; a static cannot be called",
            "declare the static in a separate `unsafe extern \"C\"` block without `#[foreign_call]`",
        )),
        ForeignItem::Type(t) => Err(spanned_err(
            head(&t.type_token, &t.ident),
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
    signature_checks(sig, Owner::ForeignCall, &mut errors);
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
    let (c_name_str, c_name_span, blame) = symbol_name(link_name.as_ref(), &sig.ident);
    errors.take(c_name(
        &c_name_str,
        blame,
        "name a plain C identifier with `#[link_name = \"c_symbol\"]`",
    ));
    let params = params(sig, &block.cx, Owner::ForeignCall, &mut errors);
    let (ret_ty, ret) = return_type(&sig.output, &block.cx, &mut errors);
    errors.finish()?;
    Ok(ForeignFn {
        attrs,
        vis: f.vis.clone(),
        safety,
        rust_name: sig.ident.clone(),
        c_name: c_name_str,
        c_name_span,
        params,
        ret_ty,
        ret: ret.unwrap_or(CType::Void),
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
    if let Meta::NameValue(nv) = &attr.meta {
        if let Expr::Lit(ExprLit {
            lit: Lit::Str(s), ..
        }) = &nv.value
        {
            return Ok(s.clone());
        }
    }
    Err(spanned_err(
        attr,
        "`link_name` takes a string",
        "write `#[link_name = \"c_symbol\"]`",
    ))
}

/// Checks shared by foreign functions and callbacks.
pub(crate) fn signature_checks(sig: &Signature, owner: Owner, errors: &mut Errors) {
    let what = match owner {
        Owner::ForeignCall => "a C function",
        Owner::Callback => "an exported callback",
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
    owner: Owner,
    errors: &mut Errors,
) -> Vec<Param> {
    let mut out = Vec::new();
    for arg in &sig.inputs {
        match arg {
            FnArg::Receiver(r) => errors.push(spanned_err(
                r.self_token,
                "`self` cannot cross to C: C functions have no receiver",
                match owner {
                    Owner::ForeignCall => "declare a pointer parameter instead, e.g. `this: *mut T`",
                    Owner::Callback => {
                        "make it a free function taking a pointer, e.g. `extern \"C\" fn cb(this: *mut T)`"
                    }
                },
            )),
            FnArg::Typed(pt) => {
                if owner == Owner::ForeignCall && !plain_pattern(&pt.pat) {
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

pub(crate) fn return_type(
    output: &ReturnType,
    cx: &TypeCx,
    errors: &mut Errors,
) -> (Option<syn::Type>, Option<CType>) {
    match output {
        ReturnType::Default => (None, Some(CType::Void)),
        ReturnType::Type(_, ty) => {
            let ctype = errors.take(classify(ty, cx, Pos::Return));
            let written = match ctype {
                Some(CType::Void) => None,
                _ => Some((**ty).clone()),
            };
            (written, ctype)
        }
    }
}

/// The C symbol of an item: the string of `#[link_name]`/`#[export_name]`
/// when given, else the Rust name; with its span and the tokens to blame.
pub(crate) fn symbol_name(
    explicit: Option<&syn::LitStr>,
    ident: &syn::Ident,
) -> (String, Span, TokenStream) {
    match explicit {
        Some(lit) => (lit.value(), lit.span(), lit.to_token_stream()),
        None => (
            ident.unraw().to_string(),
            ident.span(),
            ident.to_token_stream(),
        ),
    }
}
