//! The model of annotated items.

use crate::options::{CallbackOptions, ForeignOptions};
use crate::types::{CAbi, CType};
use proc_macro2::{Ident, Span};
use syn::{Attribute, Block, Pat, Signature, Type, Visibility};

/// An `extern` block under `#[foreign_call]`.
#[derive(Clone, Debug)]
pub struct ForeignBlock {
    /// Attributes of the block other than `#[foreign_call]` (e.g.
    /// `#[link(name = "m")]`, `#[cfg(..)]`).
    pub attrs: Vec<Attribute>,
    /// The block's ABI.
    pub abi: CAbi,
    /// The options of the attribute.
    pub options: ForeignOptions,
    /// The functions, in order.
    pub fns: Vec<ForeignFn>,
}

/// Whether a bridged function may be called without `unsafe`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FnSafety {
    /// `safe fn` in an `unsafe extern` block: a safe Rust function.
    Safe,
    /// `fn` or `unsafe fn`: an `unsafe` Rust function.
    Unsafe,
}

/// A function of a `#[foreign_call]` block.
#[derive(Clone, Debug)]
pub struct ForeignFn {
    /// Attributes kept on the generated function (doc comments,
    /// `#[must_use]`, `#[cfg]`, ...; not `#[link_name]`).
    pub attrs: Vec<Attribute>,
    /// Visibility as written.
    pub vis: Visibility,
    /// Safety of the generated function.
    pub safety: FnSafety,
    /// The Rust name.
    pub rust_name: Ident,
    /// The C symbol called: `#[link_name = ".."]` or the Rust name.
    pub c_name: String,
    /// Where the C name comes from (the `link_name` string or the name).
    pub c_name_span: Span,
    /// The parameters.
    pub params: Vec<Param>,
    /// The return type as written (`None` for no `->` or `-> ()`).
    pub ret_ty: Option<Type>,
    /// The C return type ([`CType::Void`] for unit).
    pub ret: CType,
    /// The options of the block.
    pub options: ForeignOptions,
    /// The ABI of the block.
    pub abi: CAbi,
}

/// A parameter.
#[derive(Clone, Debug)]
pub struct Param {
    /// The pattern: an identifier or `_` in extern blocks; any irrefutable
    /// pattern in callbacks.
    pub pat: Pat,
    /// The Rust type as written.
    pub ty: Type,
    /// The C type.
    pub ctype: CType,
}

impl Param {
    /// The parameter's name, when the pattern is a plain identifier.
    pub fn ident(&self) -> Option<&Ident> {
        match &self.pat {
            Pat::Ident(p) if p.subpat.is_none() && p.by_ref.is_none() => Some(&p.ident),
            _ => None,
        }
    }
}

/// A Rust function under `#[export_callback]`.
#[derive(Clone, Debug)]
pub struct Callback {
    /// Attributes other than `#[export_callback]`, as written (including
    /// any `#[unsafe(no_mangle)]` or `#[unsafe(export_name = "..")]`).
    pub attrs: Vec<Attribute>,
    /// Visibility as written.
    pub vis: Visibility,
    /// The signature as written.
    pub sig: Signature,
    /// The body.
    pub block: Box<Block>,
    /// The ABI.
    pub abi: CAbi,
    /// The C symbol: the `export_name`, or the Rust name.
    pub c_name: String,
    /// Where the C name comes from (the `export_name` string or the name).
    pub c_name_span: Span,
    /// The generated code must add `#[unsafe(no_mangle)]` (the function has
    /// neither `no_mangle` nor `export_name`).
    pub needs_no_mangle: bool,
    /// The parameters.
    pub params: Vec<Param>,
    /// The return type as written (`None` for no `->` or `-> ()`).
    pub ret_ty: Option<Type>,
    /// The C return type.
    pub ret: CType,
    /// The options.
    pub options: CallbackOptions,
}

impl Callback {
    /// The Rust name.
    pub fn rust_name(&self) -> &Ident {
        &self.sig.ident
    }

    /// The C prototype for `coffi_export.h`, without the semicolon:
    /// `int go_return_val(void)`.
    pub fn c_prototype(&self) -> String {
        let params: Vec<CType> = self.params.iter().map(|p| p.ctype.clone()).collect();
        crate::cdecl::c_prototype(&self.c_name, &params, &self.ret)
    }
}

impl ForeignFn {
    /// The C prototype the shim declares without `header`, without the
    /// semicolon: `int add(int, int)`.
    pub fn c_prototype(&self) -> String {
        self.c_prototype_named(&self.c_name)
    }

    /// The same prototype, declaring `name` instead of the C name.
    pub fn c_prototype_named(&self, name: &str) -> String {
        let params: Vec<CType> = self.params.iter().map(|p| p.ctype.clone()).collect();
        crate::cdecl::c_prototype(name, &params, &self.ret)
    }

    /// Whether the wrapper is a safe function.
    pub fn is_safe(&self) -> bool {
        self.safety == FnSafety::Safe
    }

    /// The Rust types, as written, of the parameters and return value
    /// whose C type is [`CType::Named`] (also `Option<Name>`): the macro has
    /// rustc check `coffi::__private::CrossesToC` on each.
    pub fn named_types(&self) -> Vec<&Type> {
        named_types(&self.params, self.ret_ty.as_ref(), &self.ret)
    }
}

impl Callback {
    /// The Rust types, as written, of the parameters and return value
    /// whose C type is [`CType::Named`]: see [`ForeignFn::named_types`].
    pub fn named_types(&self) -> Vec<&Type> {
        named_types(&self.params, self.ret_ty.as_ref(), &self.ret)
    }
}

/// The Rust types, as written, of the parameters and return value whose C
/// type is [`CType::Named`] (also `Option<Name>`). The model cannot tell
/// from the item whether they may cross: the macro has rustc check
/// `coffi::__private::CrossesToC` on each.
fn named_types<'a>(params: &'a [Param], ret_ty: Option<&'a Type>, ret: &CType) -> Vec<&'a Type> {
    let is_named = |c: &CType| matches!(c, CType::Named(_));
    let params = params.iter().filter(|p| is_named(&p.ctype)).map(|p| &p.ty);
    params.chain(ret_ty.filter(|_| is_named(ret))).collect()
}

/// An item found by [`scan_file`](crate::scan_file).
#[derive(Clone, Debug)]
pub enum Annotated {
    /// An extern block under `#[foreign_call]`.
    ForeignBlock(ForeignBlock),
    /// A function under `#[export_callback]`.
    Callback(Box<Callback>),
}
