//! Classification of Rust types into C types.
//!
//! [`CType`] is the C view of a Rust type in a coffi signature. The
//! classification is purely syntactic: a type is recognised by the last
//! segment of its path (`c_int`, `core::ffi::c_int`, `::std::os::raw::c_int`
//! and `libc::c_int` are all `int`). The Rust compiler then checks the model
//! against the real types through the assertions that `coffi-macros` emits:
//! a scalar name must be the Rust type of that name and the frame layout
//! must match, so a local `type c_int = i64;` (or `= char;`, of the same
//! size) cannot slip through.

use crate::attr::CoffiAttr;
use crate::diag::{Errors, pretty, spanned_err};
use crate::hints::{
    Role, array, c_string_hint, elem_of, fat_pointer, generic, reference, slice_hint, strip,
};
use crate::scalar::Scalar;
use quote::ToTokens;
use syn::{
    GenericArgument, PathArguments, PointerMutability, ReturnType, Type, TypeFnPtr, TypePath,
};

/// The ABI of an extern block, an exported callback or a fn pointer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CAbi {
    /// `extern "C"` (or the deprecated bare `extern`).
    C,
    /// `extern "C-unwind"`.
    CUnwind,
}

impl CAbi {
    /// The ABI string as written in Rust.
    pub fn as_str(&self) -> &'static str {
        match self {
            CAbi::C => "C",
            CAbi::CUnwind => "C-unwind",
        }
    }
}

/// The C view of a Rust type in a coffi signature.
///
/// ```
/// use coffi_syntax::CType;
///
/// let ty: syn::Type = syn::parse_str("*const *mut core::ffi::c_char").unwrap();
/// let c = CType::from_rust(&ty).unwrap();
/// assert_eq!(c.c_spelling(), "char *const *");
/// assert_eq!(c.declare("argv"), "char *const *argv");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum CType {
    /// No value: a unit return, or `c_void` behind a pointer.
    Void,
    /// An integer, float or `bool`.
    Scalar(Scalar),
    /// A Rust path the model does not know by its name: a `type` alias, a
    /// struct, or a C typedef of the same name. The build script resolves it
    /// through the `type` aliases of the bridged files; the macro, which sees
    /// one item, leaves it to rustc (`CrossesToC`) and to the run-time
    /// comparison of the frame layouts.
    Named(Box<Named>),
    /// A raw pointer `*const T` / `*mut T`.
    Pointer(Box<Pointer>),
    /// An `extern "C" fn` pointer, or an `Option` of one.
    FnPtr(Box<FnPtr>),
    /// A Rust type behind a pointer that C does not need to know (a struct,
    /// an array, a tuple, a generic type): spelled `void`.
    Opaque,
    /// A `#[repr(C)]` struct by value, as the build script found it in the
    /// bridged files (only ever what a [`CType::Named`] resolved to).
    Struct(Box<StructType>),
    /// An array `[T; N]`: only a field of a [`CType::Struct`].
    Array(Box<CType>, usize),
}

/// A `#[repr(C)]` struct defined in the bridged files, passed by value:
/// the C side defines `struct <name>` with the same fields.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct StructType {
    /// The Rust name, which is the C tag (`struct Point`).
    pub name: String,
    /// The fields in order: their names (`_0`, `_1`, .. for a tuple
    /// struct) and C types.
    pub fields: Vec<(String, CType)>,
}

/// A type named by a path the model does not know: see [`CType::Named`].
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Named {
    /// The last segment of the path (`XML_Parser` for `sys::XML_Parser`).
    pub name: String,
    /// Written `Option<Name>`: C sees a nullable `extern "C" fn` pointer
    /// (the only type `Option` of which crosses).
    pub in_option: bool,
    /// The C type of the alias, when the build script found one in the
    /// bridged files. `None` in the macro (it sees only the annotated item),
    /// and for names no bridged file defines: a C typedef of that name with
    /// `header = ".."`, `void` behind a pointer.
    pub resolved: Option<CType>,
    /// The shape of the struct it names, when a bridged file defines one
    /// (also with `header = ".."`, where the header's typedef is used):
    /// what the run-time layout check compares field by field.
    pub shape: Option<Shape>,
}

/// How a named type's layout is compared between Rust and C: field by
/// field for structs (through nested structs and arrays), by size for the
/// rest. The build script writes it as a C constant expression over the C
/// type (`sizeof`, `_Alignof`, `offsetof`, folded into one number) and the
/// Rust side computes the same number (`CrossesToC::LAYOUT`).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Shape {
    /// Compared by size.
    Sized,
    /// A struct: its size, alignment, and each field's offset and shape.
    Struct(Vec<(String, Shape)>),
    /// An array: its length and its element's shape.
    Array(Box<Shape>),
}

impl Named {
    pub(crate) fn unresolved(name: &str, in_option: bool) -> CType {
        CType::Named(Box::new(Named {
            name: name.to_owned(),
            in_option,
            resolved: None,
            shape: None,
        }))
    }
}

/// A raw pointer type.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Pointer {
    /// What it points to.
    pub pointee: CType,
    /// `*const T`: the pointee is `const`-qualified in C.
    pub pointee_const: bool,
}

/// A C function pointer type.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct FnPtr {
    /// Parameter types.
    pub params: Vec<CType>,
    /// Return type ([`CType::Void`] for none).
    pub ret: CType,
    /// Written as `Option<extern "C" fn ..>`: may be null.
    pub nullable: bool,
    /// Written as `unsafe extern "C" fn`.
    pub is_unsafe: bool,
    /// The ABI string.
    pub abi: CAbi,
}

impl CType {
    /// Classifies a Rust parameter type (as for a function without `header`).
    pub fn from_rust(ty: &Type) -> syn::Result<CType> {
        classify(ty, &TypeCx::new(CoffiAttr::ForeignCall, false), Pos::Param)
    }

    /// Size and alignment on LP64 Linux, when the model knows them from the
    /// item alone (`None` for named types, `void` and opaque pointees).
    ///
    /// A named type's size is unknown even once the build script resolved
    /// it: the macro cannot resolve it, and both sides must agree on which
    /// frames are checked at compile time and which at run time.
    pub(crate) fn size_align(&self) -> Option<(usize, usize)> {
        match self {
            CType::Scalar(s) => Some((s.size(), s.align())),
            CType::Pointer(_) | CType::FnPtr(_) => Some((8, 8)),
            CType::Void | CType::Named(_) | CType::Opaque | CType::Struct(_) | CType::Array(..) => {
                None
            }
        }
    }

    /// This type with named types replaced by what they resolved to.
    pub fn effective(&self) -> &CType {
        match self {
            CType::Named(n) => n.resolved.as_ref().map_or(self, CType::effective),
            _ => self,
        }
    }

    /// Whether this is [`CType::Void`].
    pub fn is_void(&self) -> bool {
        matches!(self, CType::Void)
    }

    /// Whether this is a data pointer or a function pointer (also through a
    /// resolved alias, or as `Option<Alias>`).
    pub fn is_pointer_like(&self) -> bool {
        match self.effective() {
            CType::Pointer(_) | CType::FnPtr(_) => true,
            CType::Named(n) => n.in_option,
            _ => false,
        }
    }

    /// Whether this is a function pointer (also through a resolved alias,
    /// or as `Option<Alias>`).
    pub fn is_fn_pointer(&self) -> bool {
        match self.effective() {
            CType::FnPtr(_) => true,
            CType::Named(n) => n.in_option,
            _ => false,
        }
    }
}

/// Who is asking: the wording of some errors depends on it.
#[derive(Clone, Copy, Debug)]
pub(crate) struct TypeCx {
    pub(crate) owner: CoffiAttr,
    /// `header = "..."` is set: names no alias defines are C typedefs.
    pub(crate) typedefs: bool,
}

impl TypeCx {
    pub(crate) fn new(owner: CoffiAttr, typedefs: bool) -> Self {
        TypeCx { owner, typedefs }
    }
}

/// Where a type appears.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Pos {
    Param,
    Return,
    Pointee,
    FnPtrParam,
    FnPtrReturn,
    /// A field of a struct passed by value.
    Field,
}

impl Pos {
    fn is_return(self) -> bool {
        matches!(self, Pos::Return | Pos::FnPtrReturn)
    }
}

pub(crate) fn role(cx: &TypeCx, pos: Pos) -> Role {
    match (cx.owner, pos) {
        (CoffiAttr::ForeignCall, Pos::Param) => Role::PassToC,
        (CoffiAttr::ForeignCall, Pos::Return) => Role::ReturnFromC,
        (CoffiAttr::ExportCallback, Pos::Param) => Role::TakeFromC,
        (CoffiAttr::ExportCallback, Pos::Return) => Role::ReturnToC,
        _ => Role::Nested,
    }
}

/// Classifies `ty` appearing at `pos`.
pub(crate) fn classify(ty: &Type, cx: &TypeCx, pos: Pos) -> syn::Result<CType> {
    match ty {
        Type::Paren(p) => classify(&p.elem, cx, pos),
        Type::Group(g) => classify(&g.elem, cx, pos),
        Type::Ptr(p) => {
            let pointee = classify(&p.elem, cx, Pos::Pointee)?;
            let pointee_const = matches!(p.mutability, PointerMutability::Const(_));
            Ok(CType::Pointer(Box::new(Pointer {
                pointee,
                pointee_const,
            })))
        }
        Type::FnPtr(f) => fn_ptr(f, cx, false),
        Type::Path(p) => path(p, ty, cx, pos),
        Type::Tuple(t) if t.elems.is_empty() => match pos {
            Pos::Return | Pos::FnPtrReturn => Ok(CType::Void),
            Pos::Pointee => Ok(CType::Opaque),
            Pos::Field => Err(spanned_err(
                ty,
                "`()` is not a C field type",
                "remove the field: C's `void` has no values",
            )),
            Pos::Param | Pos::FnPtrParam => Err(spanned_err(
                ty,
                "`()` is not a C parameter type",
                "remove the parameter: C's `void` has no values",
            )),
        },
        Type::Slice(_) | Type::TraitObject(_) if pos == Pos::Pointee => Err(fat_pointer(ty)),
        Type::Tuple(_) | Type::Array(_) | Type::Reference(_) | Type::Never(_)
            if pos == Pos::Pointee =>
        {
            Ok(CType::Opaque)
        }
        Type::Reference(r) => Err(reference(r, ty, role(cx, pos))),
        Type::Tuple(_) => Err(spanned_err(
            ty,
            format!("tuple `{}` cannot cross to C", pretty(ty)),
            if pos.is_return() {
                "return one value, and write the others through `*mut` out-parameters \
                 (or return a pointer to a `#[repr(C)]` struct)"
            } else {
                "use separate parameters, or a `#[repr(C)]` struct behind a raw pointer"
            },
        )),
        Type::Array(a) if pos == Pos::Field => {
            let elem = classify(&a.elem, cx, Pos::Field)?;
            let len = match &a.len {
                syn::Expr::Lit(syn::ExprLit {
                    lit: syn::Lit::Int(n),
                    ..
                }) => n.base10_parse::<usize>()?,
                other => {
                    return Err(spanned_err(
                        other,
                        "coffi's build script needs the length of an array field as a number",
                        "write the length as an integer literal, e.g. `[u8; 16]`",
                    ));
                }
            };
            Ok(CType::Array(Box::new(elem), len))
        }
        Type::Array(a) => Err(array(a, ty, role(cx, pos))),
        Type::Slice(_) => Err(spanned_err(
            ty,
            format!("slice `{}` cannot cross to C", pretty(ty)),
            slice_hint(role(cx, pos), &elem_of(ty)),
        )),
        Type::TraitObject(_) => Err(spanned_err(
            ty,
            format!("trait object `{}` cannot cross to C", pretty(ty)),
            "pass a thin pointer such as `*mut c_void` to a boxed value",
        )),
        Type::ImplTrait(_) => Err(spanned_err(
            ty,
            format!("`{}` cannot cross to C", pretty(ty)),
            "name a concrete C type (`c_int`, `*mut T`, `extern \"C\" fn(..)`, ...)",
        )),
        Type::Infer(_) => Err(spanned_err(
            ty,
            "the type must be written out: coffi and its build script read it",
            "write the C type, e.g. `c_int`",
        )),
        Type::Never(_) => Err(spanned_err(
            ty,
            "`!` cannot cross to C",
            if pos.is_return() {
                "return `()` instead (a C function that does not return is declared returning `void`)"
            } else {
                "remove the parameter"
            },
        )),
        Type::Macro(_) => Err(spanned_err(
            ty,
            "a type macro cannot cross to C: coffi's build script reads the source without expanding macros",
            "write the type out",
        )),
        _ => Err(spanned_err(
            ty,
            format!("`{}` cannot cross to C", pretty(ty)),
            "use an integer, float, `bool`, raw pointer or `extern \"C\" fn` pointer type",
        )),
    }
}

fn path(p: &TypePath, ty: &Type, cx: &TypeCx, pos: Pos) -> syn::Result<CType> {
    if p.qself.is_some() {
        return Err(spanned_err(
            ty,
            format!("qualified path `{}` cannot cross to C", pretty(ty)),
            "name the C type directly (`c_int`, `*mut T`, ...)",
        ));
    }
    let Some(seg) = p.path.segments.last() else {
        return Err(spanned_err(ty, "empty type path", "write the C type"));
    };
    let name = syn::ext::IdentExt::unraw(&seg.ident).to_string();
    match &seg.arguments {
        PathArguments::None => plain_path(&name, ty, cx, pos),
        PathArguments::AngleBracketed(args) => {
            if name == "Option" {
                let mut types = args.args.iter().filter_map(|a| match a {
                    GenericArgument::Type(t) => Some(t),
                    _ => None,
                });
                if let (Some(inner), None) = (types.next(), types.next()) {
                    match strip(inner) {
                        Type::FnPtr(f) => return fn_ptr(f, cx, true),
                        Type::Path(inner) if pos != Pos::Pointee => {
                            if let Some(name) = unknown_name(inner) {
                                return Ok(Named::unresolved(&name, true));
                            }
                        }
                        _ => {}
                    }
                }
            }
            if pos == Pos::Pointee {
                return Ok(CType::Opaque);
            }
            Err(generic(&name, ty, role(cx, pos)))
        }
        PathArguments::Parenthesized(_) => Err(spanned_err(
            ty,
            format!("`{}` cannot cross to C", pretty(ty)),
            "closures and `Fn` traits cannot cross; use an `extern \"C\" fn(..)` pointer",
        )),
    }
}

fn plain_path(name: &str, ty: &Type, cx: &TypeCx, pos: Pos) -> syn::Result<CType> {
    if let Some(s) = Scalar::from_rust_name(name) {
        return Ok(CType::Scalar(s));
    }
    let owned_string = c_string_hint(role(cx, pos));
    let rejected: Option<(String, &str)> = match name {
        "c_void" if pos == Pos::Pointee => return Ok(CType::Void),
        "c_void" => Some((
            "`c_void` cannot cross to C by value".into(),
            if pos.is_return() {
                "return `()` for a C `void` function"
            } else {
                "use `*mut c_void` or `*const c_void` for an untyped pointer"
            },
        )),
        "str" | "CStr" | "OsStr" | "Path" if pos == Pos::Pointee => return Err(fat_pointer(ty)),
        "String" | "CString" | "OsString" | "PathBuf" | "str" | "CStr" | "OsStr" | "Path" => {
            Some((format!("`{}` cannot cross to C", pretty(ty)), owned_string))
        }
        "char" => Some((
            "`char` cannot cross to C: it is a 4-byte Unicode scalar value, not C's `char`".into(),
            "use `c_char` for C `char`, or `u32` for a code point",
        )),
        "u128" | "i128" => Some((
            format!("`{name}` cannot cross to C: it has no portable C ABI"),
            "split it into two 64-bit integers, or pass a pointer to it",
        )),
        "f16" | "f128" => Some((
            format!("`{name}` cannot cross to C: coffi's C model has no such type"),
            "use `f32` (`float`) or `f64` (`double`)",
        )),
        "Self" => Some((
            "`Self` cannot cross to C".into(),
            "name the C type directly",
        )),
        _ => None,
    };
    if let Some((problem, hint)) = rejected {
        return Err(spanned_err(ty, problem, hint));
    }
    Ok(Named::unresolved(name, false))
}

/// The name of a plain path (no generic arguments, no `Self`) that is not a
/// C scalar: what `Option<Name>` may wrap.
fn unknown_name(p: &TypePath) -> Option<String> {
    if p.qself.is_some() {
        return None;
    }
    let seg = p.path.segments.last()?;
    if !seg.arguments.is_none() {
        return None;
    }
    let name = syn::ext::IdentExt::unraw(&seg.ident).to_string();
    let known = Scalar::from_rust_name(&name).is_some()
        || matches!(
            name.as_str(),
            "c_void"
                | "String"
                | "CString"
                | "OsString"
                | "PathBuf"
                | "str"
                | "CStr"
                | "OsStr"
                | "Path"
                | "char"
                | "u128"
                | "i128"
                | "f16"
                | "f128"
                | "Self"
                | "Box"
                | "Vec"
        );
    (!known).then_some(name)
}

fn fn_ptr(f: &TypeFnPtr, cx: &TypeCx, nullable: bool) -> syn::Result<CType> {
    let mut errors = Errors::default();
    let abi = match &f.abi {
        None => {
            errors.push(spanned_err(
                f.fn_token,
                "this fn pointer has the Rust ABI and cannot be called from C",
                "write `extern \"C\" fn(..)` (or `unsafe extern \"C\" fn(..)`)",
            ));
            CAbi::C
        }
        Some(abi) => errors.take(abi_of(abi, "fn pointer")).unwrap_or(CAbi::C),
    };
    if let Some(v) = &f.variadic {
        errors.push(spanned_err(
            v.dots.to_token_stream(),
            "variadic fn pointers cannot cross to C through coffi",
            "use a fixed parameter list",
        ));
    }
    let params: Vec<CType> = f
        .inputs
        .iter()
        .filter_map(|a| errors.take(classify(&a.ty, cx, Pos::FnPtrParam)))
        .collect();
    let ret = match &f.output {
        ReturnType::Default => Some(CType::Void),
        ReturnType::Type(_, t) => errors.take(classify(t, cx, Pos::FnPtrReturn)),
    };
    errors.finish()?;
    Ok(CType::FnPtr(Box::new(FnPtr {
        params,
        ret: ret.unwrap_or(CType::Void),
        nullable,
        is_unsafe: f.unsafety.is_some(),
        abi,
    })))
}

/// Reads the ABI string of an `extern` (`None` means the deprecated bare
/// `extern`, which is `"C"`).
pub(crate) fn abi_of(abi: &syn::Abi, what: &str) -> syn::Result<CAbi> {
    match &abi.name {
        None => Ok(CAbi::C),
        Some(name) => match name.value().as_str() {
            "C" => Ok(CAbi::C),
            "C-unwind" => Ok(CAbi::CUnwind),
            other => Err(spanned_err(
                name,
                format!("the ABI \"{other}\" of this {what} is not supported by coffi"),
                "coffi accepts `extern \"C\"` and `extern \"C-unwind\"`",
            )),
        },
    }
}
