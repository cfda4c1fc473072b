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

use crate::check::{Errors, Owner, pretty, spanned_err};
pub use crate::scalar::Scalar;
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
    /// A Rust path the model does not know, taken to be a C typedef of the
    /// same name (only with `#[foreign_call(header = "...")]`). Its layout is
    /// unknown to the model.
    Typedef(String),
    /// A raw pointer `*const T` / `*mut T`.
    Pointer(Box<Pointer>),
    /// An `extern "C" fn` pointer, or an `Option` of one.
    FnPtr(Box<FnPtr>),
    /// A Rust type behind a pointer that C does not need to know (a struct,
    /// an array, a tuple, a generic type): spelled `void`.
    Opaque,
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
        classify(ty, &TypeCx::new(Owner::ForeignCall, false), Pos::Param)
    }

    /// Size and alignment on LP64 Linux, when the model knows them
    /// (`None` for typedefs, `void` and opaque pointees).
    pub fn size_align(&self) -> Option<(usize, usize)> {
        match self {
            CType::Scalar(s) => Some((s.size(), s.align())),
            CType::Pointer(_) | CType::FnPtr(_) => Some((8, 8)),
            CType::Void | CType::Typedef(_) | CType::Opaque => None,
        }
    }

    /// Whether this is [`CType::Void`].
    pub fn is_void(&self) -> bool {
        matches!(self, CType::Void)
    }

    /// Whether this is a data pointer or a function pointer.
    pub fn is_pointer_like(&self) -> bool {
        matches!(self, CType::Pointer(_) | CType::FnPtr(_))
    }

    /// Whether this is a function pointer that is not wrapped in `Option`.
    pub fn is_bare_fn_ptr(&self) -> bool {
        matches!(self, CType::FnPtr(f) if !f.nullable)
    }

    /// Whether the type mentions a typedef by value anywhere (also inside a
    /// fn pointer), so that only a header can spell it.
    pub fn mentions_typedef(&self) -> bool {
        match self {
            CType::Typedef(_) => true,
            CType::Pointer(p) => p.pointee.mentions_typedef(),
            CType::FnPtr(f) => {
                f.ret.mentions_typedef() || f.params.iter().any(CType::mentions_typedef)
            }
            CType::Void | CType::Scalar(_) | CType::Opaque => false,
        }
    }
}

/// Who is asking: the wording of some errors depends on it.
#[derive(Clone, Copy, Debug)]
pub(crate) struct TypeCx {
    pub owner: Owner,
    /// `header = "..."` is set: unknown paths by value are C typedefs.
    pub typedefs: bool,
}

impl TypeCx {
    pub(crate) fn new(owner: Owner, typedefs: bool) -> Self {
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
}

impl Pos {
    fn is_return(self) -> bool {
        matches!(self, Pos::Return | Pos::FnPtrReturn)
    }
}

/// Which way a rejected value would go, so that a hint can say what to
/// write in its place.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Role {
    /// A parameter of a C function: Rust passes it to C.
    PassToC,
    /// The return type of a C function: C gives it to Rust.
    ReturnFromC,
    /// A parameter of a callback: C gives it to Rust.
    TakeFromC,
    /// The return type of a callback: Rust gives it to C.
    ReturnToC,
    /// Inside a fn pointer type (or behind a pointer).
    Nested,
}

fn role(cx: &TypeCx, pos: Pos) -> Role {
    match (cx.owner, pos) {
        (Owner::ForeignCall, Pos::Param) => Role::PassToC,
        (Owner::ForeignCall, Pos::Return) => Role::ReturnFromC,
        (Owner::Callback, Pos::Param) => Role::TakeFromC,
        (Owner::Callback, Pos::Return) => Role::ReturnToC,
        _ => Role::Nested,
    }
}

/// What to write instead of a Rust string type (`String`, `&str`, `CString`, ..).
fn c_string_hint(role: Role) -> &'static str {
    match role {
        Role::PassToC => {
            "pass `*const c_char`, e.g. from `CString::as_ptr` or `c\"literal\".as_ptr()` \
             (keep the `CString` alive during the call)"
        }
        Role::ReturnFromC => {
            "declare the return type `*const c_char` (or `*mut c_char`) and read it with `CStr::from_ptr`"
        }
        Role::TakeFromC => "take `*const c_char` and read it with `CStr::from_ptr`",
        Role::ReturnToC => {
            "return `*const c_char` to a string that outlives the call, e.g. `c\"literal\".as_ptr()`, \
             or `*mut c_char` from `CString::into_raw` (free it with `CString::from_raw` when C gives it back)"
        }
        Role::Nested => "use `*const c_char`, a pointer to a NUL-terminated C string",
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

fn fat_pointer(pointee: &Type) -> syn::Error {
    if let Type::TraitObject(_) = strip(pointee) {
        return spanned_err(
            pointee,
            format!(
                "a pointer to `{}` is a fat pointer (address and vtable) and cannot cross to C",
                pretty(pointee)
            ),
            format!(
                "box it once more and pass the thin pointer: `Box::into_raw(Box::new(b)).cast::<c_void>()` \
                 with `b: Box<{}>`, as `*mut c_void`",
                pretty(pointee)
            ),
        );
    }
    spanned_err(
        pointee,
        format!(
            "a pointer to `{}` is a fat pointer (address and length) and cannot cross to C",
            pretty(pointee)
        ),
        "pass a thin pointer to the first element (`ptr.cast::<T>()`) and the length separately",
    )
}

fn array(a: &syn::TypeArray, ty: &Type, role: Role) -> syn::Error {
    let elem = pretty(&a.elem);
    let hint = match role {
        Role::PassToC | Role::Nested => format!(
            "pass a pointer to its first element, `*const {elem}` (`arr.as_ptr()`), as C does"
        ),
        Role::TakeFromC => format!(
            "take a pointer to the first element, `*const {elem}`, as C does (an array parameter is a pointer in C)"
        ),
        Role::ReturnFromC | Role::ReturnToC => format!(
            "C functions cannot return arrays: return a pointer to the first element (`*const {elem}`), \
             or write the array through a `*mut {elem}` out-parameter"
        ),
    };
    spanned_err(
        ty,
        format!("array `{}` cannot cross to C by value", pretty(ty)),
        hint,
    )
}

fn reference(r: &syn::TypeReference, ty: &Type, role: Role) -> syn::Error {
    let (problem, hint) = match strip(&r.elem) {
        Type::Path(p) if last_ident(p).as_deref() == Some("str") => (
            format!(
                "`{}` cannot cross to C: Rust strings are not NUL-terminated",
                pretty(ty)
            ),
            c_string_hint(role).to_owned(),
        ),
        Type::Slice(_) => (
            format!("slice reference `{}` cannot cross to C", pretty(ty)),
            slice_hint(role, &elem_of(ty)),
        ),
        pointee => (
            format!("reference `{}` cannot cross to C", pretty(ty)),
            if r.mutability.is_some() {
                format!(
                    "use a raw pointer `*mut {}` (e.g. `&raw mut x`)",
                    pretty(pointee)
                )
            } else {
                format!(
                    "use a raw pointer `*const {}` (e.g. `&raw const x`)",
                    pretty(pointee)
                )
            },
        ),
    };
    spanned_err(ty, problem, hint)
}

/// What to write instead of a slice or a `Vec`.
fn slice_hint(role: Role, elem: &str) -> String {
    match role {
        Role::PassToC => format!(
            "pass a pointer and a length as two parameters, `*const {elem}` and `usize` (`v.as_ptr()`, `v.len()`)"
        ),
        Role::TakeFromC | Role::Nested => format!(
            "take a pointer and a length, `*const {elem}` and `usize`, and view them with `std::slice::from_raw_parts`"
        ),
        Role::ReturnFromC => format!(
            "declare the return type `*mut {elem}`, get the length through an out-parameter, \
             and view them with `std::slice::from_raw_parts`"
        ),
        Role::ReturnToC => format!(
            "return `*mut {elem}` (e.g. from `Vec::leak`) and give C the length through an out-parameter"
        ),
    }
}

/// The element type of a slice or array, or the first type argument of a
/// generic type, for hints (`T` when there is none).
fn elem_of(ty: &Type) -> String {
    match strip(ty) {
        Type::Slice(s) => pretty(&s.elem),
        Type::Array(a) => pretty(&a.elem),
        Type::Reference(r) => elem_of(&r.elem),
        Type::Path(p) => p
            .path
            .segments
            .last()
            .and_then(|seg| match &seg.arguments {
                PathArguments::AngleBracketed(args) => args.args.iter().find_map(|a| match a {
                    GenericArgument::Type(t) => Some(pretty(t)),
                    _ => None,
                }),
                _ => None,
            })
            .unwrap_or_else(|| "T".to_owned()),
        _ => "T".to_owned(),
    }
}

fn strip(ty: &Type) -> &Type {
    match ty {
        Type::Paren(p) => strip(&p.elem),
        Type::Group(g) => strip(&g.elem),
        _ => ty,
    }
}

fn last_ident(p: &TypePath) -> Option<String> {
    p.path
        .segments
        .last()
        .map(|s| syn::ext::IdentExt::unraw(&s.ident).to_string())
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
                    if let Type::FnPtr(f) = strip(inner) {
                        return fn_ptr(f, cx, true);
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
    if pos == Pos::Pointee {
        return Ok(CType::Opaque);
    }
    if cx.typedefs {
        return Ok(CType::Typedef(name.to_owned()));
    }
    let hint = match cx.owner {
        Owner::ForeignCall => format!(
            "spell it with a C type (`c_int`, `u32`, `*mut T`, `extern \"C\" fn(..)`, ...), \
             or add `header = \"...\"` to `#[foreign_call]` naming a C header that declares the typedef `{name}`"
        ),
        Owner::Callback => format!(
            "spell it with a C type (`c_int`, `u32`, `*mut T`, `extern \"C\" fn(..)`, ...): \
             `#[export_callback]` writes the C prototype itself and cannot use the typedef `{name}`"
        ),
    };
    Err(spanned_err(
        ty,
        format!("`{}` is not a C type coffi knows", pretty(ty)),
        hint,
    ))
}

fn generic(name: &str, ty: &Type, role: Role) -> syn::Error {
    let elem = elem_of(ty);
    let hint = match name {
        "Vec" => slice_hint(role, &elem),
        "Box" => match role {
            Role::PassToC => format!(
                "pass `Box::into_raw(b)` as `*mut {elem}`, and rebuild it with `Box::from_raw` when C gives it back"
            ),
            Role::ReturnToC => format!(
                "return `Box::into_raw(b)` as `*mut {elem}`, and rebuild it with `Box::from_raw` when C gives it back"
            ),
            Role::ReturnFromC => format!(
                "declare the return type `*mut {elem}`; make a `Box` of it with `Box::from_raw` \
                 only if it came from `Box::into_raw`"
            ),
            Role::TakeFromC => format!(
                "take `*mut {elem}`; make a `Box` of it with `Box::from_raw` only if it came from `Box::into_raw`"
            ),
            Role::Nested => format!("use `*mut {elem}`"),
        },
        "Option" => "`Option` crosses only around `extern \"C\" fn` pointers (None is NULL); \
                     for a nullable data pointer use `*const T` / `*mut T`"
            .to_owned(),
        "NonNull" => format!("use `*mut {elem}` (`p.as_ptr()`)"),
        "Rc" | "Arc" => format!("pass `{name}::into_raw(x)` as `*const {elem}`"),
        "Result" => {
            "return a C status code (e.g. `c_int`) and pass outputs through pointers".to_owned()
        }
        _ => "coffi needs a C type: use a raw pointer to it, or a C scalar".to_owned(),
    };
    spanned_err(ty, format!("`{}` cannot cross to C", pretty(ty)), hint)
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
