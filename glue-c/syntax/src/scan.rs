//! Finding annotated items in a whole file (what the build script does).

use crate::attr::CoffiAttr;
use crate::c_struct::check_c_struct;
use crate::diag::{Errors, spanned_err};
use crate::model::Annotated;
use crate::parse::{parse_export_callback, parse_foreign_call};
use proc_macro2::TokenStream;
use syn::punctuated::Punctuated;
use syn::{Attribute, ImplItem, Item, ItemFn, Meta, Stmt, Token};

/// Finds every item carrying `#[foreign_call]` or `#[export_callback]`
/// (also written `#[coffi::..]` or `#[::coffi::..]`) in `file`, also inside
/// inline `mod { .. }` blocks, function bodies and `impl` blocks, and parses
/// each with the same functions the macros use, so that the build script
/// rejects the same inputs with the same words (structs deriving `CStruct`
/// included). All errors are reported together.
///
/// Not followed here: `mod name;` declarations and `#[cfg]` (the build
/// script reads the module files and evaluates cfgs before it scans),
/// items produced by macros, and attributes imported under another name
/// (`use coffi::foreign_call as fc`).
///
/// ```
/// let file = syn::parse_file(r#"
///     use core::ffi::c_int;
///     #[coffi::foreign_call]
///     unsafe extern "C" { fn add(a: c_int, b: c_int) -> c_int; }
///     mod inner {
///         #[coffi::export_callback(stack = 65536)]
///         extern "C" fn cb(x: c_int) -> c_int { x }
///     }
/// "#).unwrap();
/// let found = coffi_syntax::scan_file(&file).unwrap();
/// assert_eq!(found.len(), 2);
/// ```
pub fn scan_file(file: &syn::File) -> syn::Result<Vec<Annotated>> {
    let mut found = Vec::new();
    let mut errors = Errors::default();
    for item in &file.items {
        scan_item(item, &mut found, &mut errors);
    }
    errors.finish()?;
    Ok(found)
}

fn scan_item(item: &Item, found: &mut Vec<Annotated>, errors: &mut Errors) {
    // `#[derive(coffi::CStruct)]` is judged here as the derive judges it.
    if derives_c_struct(item_attrs(item))
        && let Err(e) = check_c_struct(item)
    {
        errors.push(e);
    }
    if let Some(CoffiAttrSplit { kind, attr, rest }) = take_coffi_attr(item_attrs(item)) {
        let mut item = item.clone();
        set_item_attrs(&mut item, rest);
        match attr_args(&attr, kind) {
            Err(e) => errors.push(e),
            Ok(args) => match kind {
                CoffiAttr::ForeignCall => {
                    if let Some(b) = errors.take(parse_foreign_call(args, item)) {
                        found.push(Annotated::ForeignBlock(b));
                    }
                }
                CoffiAttr::ExportCallback => {
                    if let Some(c) = errors.take(parse_export_callback(args, item)) {
                        found.push(Annotated::Callback(Box::new(c)));
                    }
                }
            },
        }
        return;
    }
    match item {
        Item::Mod(m) => {
            for inner in m.content.iter().flat_map(|(_, items)| items) {
                scan_item(inner, found, errors);
            }
        }
        Item::Fn(f) => scan_block(&f.block.stmts, found, errors),
        Item::Impl(i) => {
            for impl_item in &i.items {
                if let ImplItem::Fn(f) = impl_item {
                    let as_item = Item::Fn(ItemFn {
                        attrs: f.attrs.clone(),
                        vis: f.vis.clone(),
                        modifiers: Default::default(),
                        sig: f.sig.clone(),
                        block: Box::new(f.block.clone()),
                    });
                    scan_item(&as_item, found, errors);
                }
            }
        }
        _ => {}
    }
}

fn scan_block(stmts: &[Stmt], found: &mut Vec<Annotated>, errors: &mut Errors) {
    for stmt in stmts {
        if let Stmt::Item(item) = stmt {
            scan_item(item, found, errors);
        }
    }
}

/// Whether `attrs` hold `#[derive(.., CStruct, ..)]` (any path ending in
/// `CStruct`).
fn derives_c_struct(attrs: &[Attribute]) -> bool {
    attrs
        .iter()
        .filter(|a| a.path().is_ident("derive"))
        .filter_map(|a| {
            a.parse_args_with(Punctuated::<syn::Path, Token![,]>::parse_terminated)
                .ok()
        })
        .any(|paths| {
            paths
                .iter()
                .any(|p| p.segments.last().is_some_and(|s| s.ident == "CStruct"))
        })
}

/// An item's first coffi attribute, split off from the others.
struct CoffiAttrSplit {
    kind: CoffiAttr,
    attr: Attribute,
    /// The other attributes (a second coffi attribute stays here, where
    /// the parse functions report it).
    rest: Vec<Attribute>,
}

fn take_coffi_attr(attrs: &[Attribute]) -> Option<CoffiAttrSplit> {
    let at = attrs.iter().position(|a| CoffiAttr::of(a).is_some())?;
    let kind = CoffiAttr::of(&attrs[at])?;
    let mut rest = attrs.to_vec();
    let attr = rest.remove(at);
    Some(CoffiAttrSplit { kind, attr, rest })
}

/// The tokens the macro would receive as its `attr` argument.
fn attr_args(attr: &Attribute, kind: CoffiAttr) -> syn::Result<TokenStream> {
    match &attr.meta {
        Meta::Path(_) => Ok(TokenStream::new()),
        Meta::List(list) => Ok(list.tokens.clone()),
        Meta::NameValue(_) => Err(spanned_err(
            attr,
            format!("`#[{} = ..]` is not how options are given", kind.name()),
            format!("write `#[{}(option, ..)]`", kind.name()),
        )),
    }
}

/// The attributes of an item of any kind (`None` for kinds that have none
/// in syn, such as verbatim tokens).
pub fn item_attrs_mut(item: &mut Item) -> Option<&mut Vec<Attribute>> {
    Some(match item {
        Item::ForeignMod(i) => &mut i.attrs,
        Item::Fn(i) => &mut i.attrs,
        Item::Mod(i) => &mut i.attrs,
        Item::Struct(i) => &mut i.attrs,
        Item::Enum(i) => &mut i.attrs,
        Item::Static(i) => &mut i.attrs,
        Item::Const(i) => &mut i.attrs,
        Item::Type(i) => &mut i.attrs,
        Item::Trait(i) => &mut i.attrs,
        Item::Impl(i) => &mut i.attrs,
        Item::Use(i) => &mut i.attrs,
        Item::Union(i) => &mut i.attrs,
        Item::Macro(i) => &mut i.attrs,
        Item::ExternCrate(i) => &mut i.attrs,
        Item::TraitAlias(i) => &mut i.attrs,
        _ => return None,
    })
}

fn item_attrs(item: &Item) -> &[Attribute] {
    match item {
        Item::ForeignMod(i) => &i.attrs,
        Item::Fn(i) => &i.attrs,
        Item::Mod(i) => &i.attrs,
        Item::Struct(i) => &i.attrs,
        Item::Enum(i) => &i.attrs,
        Item::Static(i) => &i.attrs,
        Item::Const(i) => &i.attrs,
        Item::Type(i) => &i.attrs,
        Item::Trait(i) => &i.attrs,
        Item::Impl(i) => &i.attrs,
        Item::Use(i) => &i.attrs,
        Item::Union(i) => &i.attrs,
        Item::Macro(i) => &i.attrs,
        Item::ExternCrate(i) => &i.attrs,
        Item::TraitAlias(i) => &i.attrs,
        _ => &[],
    }
}

fn set_item_attrs(item: &mut Item, attrs: Vec<Attribute>) {
    if let Some(slot) = item_attrs_mut(item) {
        *slot = attrs;
    }
}
