//! syn items → model, for `#[export_callback]`.

use crate::attr::CoffiAttr;
use crate::c_name::check_c_name;
use crate::diag::{Errors, pretty, spanned_err};
use crate::model::Callback;
use crate::options::parse_callback_options;
use crate::signature::{params, return_type, signature_checks, symbol_name};
use crate::types::{CAbi, CType, TypeCx, abi_of};
use proc_macro2::TokenStream;
use syn::{Attribute, Expr, ExprLit, ItemFn, Lit, Meta, ReturnType};

/// Largest number of parameters of a fn pointer a callback may return
/// (the runtime implements `CallbackReturn` up to this arity).
const MAX_RETURNED_FN_PTR_PARAMS: usize = 12;

/// Parses a function under `#[export_callback(attr)]`.
pub(crate) fn parse_callback(attr: TokenStream, item: ItemFn) -> syn::Result<Callback> {
    let mut errors = Errors::default();
    let options = errors
        .take(parse_callback_options(attr))
        .unwrap_or_default();
    let sig = &item.sig;
    let abi = match &sig.abi {
        None => {
            errors.push(spanned_err(
                sig.fn_token,
                "`#[export_callback]` needs an `extern \"C\" fn`: C calls it with the C ABI",
                format!("write `extern \"C\" fn {}(..)`", sig.ident),
            ));
            CAbi::C
        }
        Some(abi) => errors.take(abi_of(abi, "callback")).unwrap_or(CAbi::C),
    };
    signature_checks(sig, CoffiAttr::ExportCallback, &mut errors);
    if let Some(v) = &sig.variadic {
        errors.push(spanned_err(
            v.dots,
            "an exported callback cannot be variadic",
            "take fixed parameters",
        ));
    }
    let mut export_name = None;
    let mut no_mangle = false;
    let mut attrs = Vec::new();
    for a in &item.attrs {
        match export_attr(a) {
            Some(Export::NoMangle) => no_mangle = true,
            Some(Export::Name(lit)) => export_name = Some(lit),
            None => {}
        }
        if let Some(kind) = CoffiAttr::of(a) {
            errors.push(spanned_err(
                a,
                format!(
                    "`#[{}]` cannot be combined with `#[export_callback]`",
                    kind.name()
                ),
                "give `#[export_callback(..)]` once, with all options",
            ));
        } else {
            attrs.push(a.clone());
        }
    }
    let symbol = symbol_name(export_name.as_ref(), &sig.ident);
    errors.take(check_c_name(
        &symbol.name,
        symbol.blame,
        "export it under a C identifier with `#[unsafe(export_name = \"c_symbol\")]`",
    ));
    let cx = TypeCx::new(CoffiAttr::ExportCallback, false);
    let params = params(sig, &cx, CoffiAttr::ExportCallback, &mut errors);
    let ret = return_type(&sig.output, &cx, &mut errors);
    if let (Some(on_panic), None) = (&options.on_panic, &ret.written) {
        errors.push(spanned_err(
            &on_panic.key,
            format!(
                "`on_panic` gives C a value, but `{}` returns nothing",
                sig.ident
            ),
            "remove `on_panic`: a panic of the body still resumes in the coroutine, and C gets \
             nothing either way",
        ));
    }
    // With `on_panic`, C gets that value instead of a zeroed one, so a
    // bare fn pointer (which has no zero) may be returned, of any arity.
    let zeroed = options.on_panic.is_none();
    if let (Some(CType::FnPtr(f)), ReturnType::Type(_, ty), true) =
        (&ret.ctype, &sig.output, zeroed)
    {
        if !f.nullable {
            errors.push(spanned_err(
                ty,
                "a callback cannot return a bare fn pointer: when its body panics, C gets a zeroed \
                 value, and a fn pointer cannot be null",
                format!("return `Option<{}>`", pretty(ty)),
            ));
        } else if f.params.len() > MAX_RETURNED_FN_PTR_PARAMS {
            errors.push(spanned_err(
                ty,
                format!(
                    "a callback can return fn pointers of at most {MAX_RETURNED_FN_PTR_PARAMS} parameters"
                ),
                "return `*mut c_void` and cast it in C",
            ));
        }
    }
    errors.finish()?;
    Ok(Callback {
        attrs,
        vis: item.vis,
        abi,
        c_name: symbol.name,
        c_name_span: symbol.span,
        needs_no_mangle: !no_mangle && export_name.is_none(),
        params,
        ret_ty: ret.written,
        ret: ret.ctype.unwrap_or(CType::Void),
        options,
        sig: item.sig,
        block: item.block,
    })
}

enum Export {
    NoMangle,
    Name(syn::LitStr),
}

/// Recognises `#[no_mangle]`, `#[unsafe(no_mangle)]`,
/// `#[export_name = ".."]` and `#[unsafe(export_name = "..")]`.
fn export_attr(attr: &Attribute) -> Option<Export> {
    let meta = if attr.path().is_ident("unsafe") {
        attr.parse_args::<Meta>().ok()?
    } else {
        attr.meta.clone()
    };
    match &meta {
        Meta::Path(p) if p.is_ident("no_mangle") => Some(Export::NoMangle),
        Meta::NameValue(nv) if nv.path.is_ident("export_name") => match &nv.value {
            Expr::Lit(ExprLit {
                lit: Lit::Str(s), ..
            }) => Some(Export::Name(s.clone())),
            _ => None,
        },
        _ => None,
    }
}
