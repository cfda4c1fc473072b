//! Named types → C types, through the `type` aliases of the bridged files.
//!
//! The macro sees one annotated item and cannot look an alias up: it keeps
//! [`CType::Named`] unresolved and leaves the Rust side to rustc
//! (`CrossesToC`) and the layout to the run-time comparison. The build
//! script sees the files: it collects their aliases into [`TypeDefs`] and
//! resolves each named type, through any depth (`Option<Alias>`,
//! `*mut Alias`, aliases of aliases, aliases inside fn pointer types), to
//! the C type the shim and `coffi_export.h` spell.

use crate::attr::CoffiAttr;
use crate::c_name::struct_name_problem;
use crate::c_struct::check_c_struct;
use crate::diag::{Errors, pretty, spanned_err};
use crate::hints::unknown_type;
use crate::model::{Callback, ForeignBlock, Param};
use crate::types::{CType, Named, Pos, Shape, StructType, TypeCx, classify};
use std::collections::BTreeMap;
use syn::{Ident, Item, Stmt, Type};

/// Longest chain of aliases followed (an alias of an alias of ...); a
/// longer one is taken to be a cycle.
const MAX_ALIAS_DEPTH: usize = 32;

/// The `type` aliases and structs of the bridged files, by name.
///
/// ```
/// let file = syn::parse_file(r#"
///     pub type XML_Char = core::ffi::c_char;
///     pub type XML_Parser = *mut XML_ParserStruct;
///     pub type Handler = Option<unsafe extern "C" fn(*mut c_void, *const XML_Char)>;
///     #[coffi::foreign_call]
///     unsafe extern "C" {
///         fn XML_ParserCreate(encoding: *const XML_Char) -> XML_Parser;
///         fn XML_SetCharacterDataHandler(p: XML_Parser, h: Handler);
///     }
/// "#).unwrap();
/// let mut defs = coffi_syntax::TypeDefs::default();
/// defs.add_file(&file, |name| format!("ffi.rs ({name})"));
/// let mut found = coffi_syntax::scan_file(&file).unwrap();
/// let Some(coffi_syntax::Annotated::ForeignBlock(mut block)) = found.pop() else {
///     unreachable!()
/// };
/// block.resolve(&defs).unwrap();
/// assert_eq!(block.fns[0].c_prototype(), "void *XML_ParserCreate(const char *)");
/// assert_eq!(
///     block.fns[1].c_prototype(),
///     "void XML_SetCharacterDataHandler(void *, void (*)(void *, const char *))"
/// );
/// ```
#[derive(Clone, Debug, Default)]
pub struct TypeDefs {
    aliases: BTreeMap<String, Vec<AliasDef>>,
    structs: BTreeMap<String, Vec<StructDef>>,
}

#[derive(Clone, Debug)]
struct AliasDef {
    ty: Type,
    /// Where it is defined, for messages (`src/sys.rs:12`).
    origin: String,
}

/// A struct of the bridged files, which a signature may take by value.
#[derive(Clone, Debug)]
struct StructDef {
    item: Item,
    /// The fields: names (`_0`.. for a tuple struct) and types.
    fields: Vec<(String, Type)>,
    origin: String,
}

impl TypeDefs {
    /// Adds the `type` aliases of `file`, also those in inline modules and
    /// function bodies. `origin` says where an alias is, for messages (the
    /// build script gives `file:line`).
    pub fn add_file(&mut self, file: &syn::File, origin: impl Fn(&Ident) -> String) {
        for item in &file.items {
            self.add_item(item, &origin);
        }
    }

    fn add_item(&mut self, item: &Item, origin: &impl Fn(&Ident) -> String) {
        match item {
            // A generic alias cannot name a C type without its arguments.
            Item::Type(t) if t.generics.params.is_empty() => {
                let name = syn::ext::IdentExt::unraw(&t.ident).to_string();
                self.aliases.entry(name).or_default().push(AliasDef {
                    ty: (*t.ty).clone(),
                    origin: origin(&t.ident),
                });
            }
            Item::Struct(st) => {
                let name = syn::ext::IdentExt::unraw(&st.ident).to_string();
                let fields = st
                    .fields
                    .iter()
                    .enumerate()
                    .map(|(i, f)| {
                        let name = f.ident.as_ref().map_or_else(
                            || format!("_{i}"),
                            |id| syn::ext::IdentExt::unraw(id).to_string(),
                        );
                        (name, f.ty.clone())
                    })
                    .collect();
                self.structs.entry(name).or_default().push(StructDef {
                    item: item.clone(),
                    fields,
                    origin: origin(&st.ident),
                });
            }
            Item::Mod(m) => {
                for inner in m.content.iter().flat_map(|(_, items)| items) {
                    self.add_item(inner, origin);
                }
            }
            Item::Fn(f) => {
                for stmt in &f.block.stmts {
                    if let Stmt::Item(inner) = stmt {
                        self.add_item(inner, origin);
                    }
                }
            }
            _ => {}
        }
    }
}

impl TypeDefs {
    /// The structs of the bridged files that a value of type `ty` holds by
    /// value: the struct `ty` names (through aliases and arrays), then the
    /// structs its fields name, and so on, each once. What needs
    /// `#[derive(coffi::CStruct)]` for `ty` to cross by value.
    ///
    /// ```
    /// let file = syn::parse_file(r#"
    ///     #[repr(C)] pub struct Inner { pub x: u8 }
    ///     #[repr(C)] pub struct Outer { pub a: [Inner; 2], pub p: *mut Other }
    ///     #[repr(C)] pub struct Other { pub y: u8 }
    ///     pub type Handle = Outer;
    /// "#).unwrap();
    /// let mut defs = coffi_syntax::TypeDefs::default();
    /// defs.add_file(&file, |name| name.to_string());
    /// let ty: syn::Type = syn::parse_str("Handle").unwrap();
    /// assert_eq!(defs.structs_within(&ty), ["Outer", "Inner"]);
    /// ```
    pub fn structs_within(&self, ty: &Type) -> Vec<String> {
        let mut out = Vec::new();
        self.collect_structs(ty, 0, &mut out);
        out
    }

    /// Why a value of type `ty` cannot cross by value, if a struct it holds
    /// (see [`structs_within`](Self::structs_within)) cannot: not
    /// `#[repr(C)]`, `packed`, generic, or a field that is not a C type or
    /// names a type the bridged files do not define (a union, a bitfield
    /// unit). The first such problem, in words.
    pub fn by_value_problem(&self, ty: &Type) -> Option<String> {
        let first_line =
            |e: syn::Error| e.to_string().lines().next().unwrap_or_default().to_owned();
        for name in self.structs_within(ty) {
            let def = self.structs.get(&name)?.first()?;
            if let Err(e) = check_c_struct(&def.item) {
                return Some(first_line(e));
            }
            let cx = TypeCx::new(CoffiAttr::ForeignCall, false);
            for (field, ty) in &def.fields {
                let problem = match classify(ty, &cx, Pos::Field) {
                    Err(e) => Some(first_line(e)),
                    Ok(c) => self.unknown_name_in(&c).map(|unknown| {
                        format!("`{unknown}` is not a struct or alias of the bridged files")
                    }),
                };
                if let Some(problem) = problem {
                    return Some(format!("in field `{field}` of `struct {name}`: {problem}"));
                }
            }
        }
        None
    }

    /// A name by value in `c` (not behind a pointer) that is neither an
    /// alias nor a struct of the bridged files.
    fn unknown_name_in(&self, c: &CType) -> Option<String> {
        match c {
            CType::Named(n) if !n.in_option => (!self.aliases.contains_key(&n.name)
                && !self.structs.contains_key(&n.name))
            .then(|| n.name.clone()),
            CType::Array(elem, _) => self.unknown_name_in(elem),
            _ => None,
        }
    }

    fn collect_structs(&self, ty: &Type, depth: usize, out: &mut Vec<String>) {
        if depth >= MAX_ALIAS_DEPTH {
            return;
        }
        match ty {
            Type::Paren(p) => self.collect_structs(&p.elem, depth, out),
            Type::Group(g) => self.collect_structs(&g.elem, depth, out),
            Type::Array(a) => self.collect_structs(&a.elem, depth, out),
            Type::Path(p) if p.qself.is_none() => {
                let Some(seg) = p.path.segments.last().filter(|s| s.arguments.is_none()) else {
                    return;
                };
                let name = syn::ext::IdentExt::unraw(&seg.ident).to_string();
                if let Some(alias) = self.aliases.get(&name).and_then(|defs| defs.first()) {
                    self.collect_structs(&alias.ty, depth + 1, out);
                } else if let Some(def) = self.structs.get(&name).and_then(|defs| defs.first()) {
                    if out.contains(&name) {
                        return;
                    }
                    out.push(name);
                    for (_, field) in &def.fields {
                        self.collect_structs(field, depth + 1, out);
                    }
                }
            }
            _ => {}
        }
    }

    /// The shape of the struct `name` names (through aliases), if a bridged
    /// file defines one; `None` for anything else.
    fn shape_of(&self, name: &str, depth: usize) -> Option<Shape> {
        if depth >= MAX_ALIAS_DEPTH {
            return None;
        }
        if let Some(alias) = self.aliases.get(name).and_then(|defs| defs.first()) {
            return self.shape_of_type(&alias.ty, depth + 1);
        }
        let def = self.structs.get(name)?.first()?;
        let fields = def
            .fields
            .iter()
            .map(|(field, ty)| {
                let shape = self.shape_of_type(ty, depth + 1).unwrap_or(Shape::Sized);
                (field.clone(), shape)
            })
            .collect();
        Some(Shape::Struct(fields))
    }

    fn shape_of_type(&self, ty: &Type, depth: usize) -> Option<Shape> {
        match ty {
            Type::Paren(p) => self.shape_of_type(&p.elem, depth),
            Type::Group(g) => self.shape_of_type(&g.elem, depth),
            Type::Array(a) => Some(Shape::Array(Box::new(
                self.shape_of_type(&a.elem, depth).unwrap_or(Shape::Sized),
            ))),
            Type::Path(p) if p.qself.is_none() => {
                let seg = p.path.segments.last()?;
                if !seg.arguments.is_none() {
                    return None;
                }
                self.shape_of(&syn::ext::IdentExt::unraw(&seg.ident).to_string(), depth)
            }
            _ => None,
        }
    }
}

impl ForeignBlock {
    /// Resolves the named types of every function through `defs`. A name
    /// no alias defines stays a C typedef with `header = ".."` (the header
    /// declares it) and is an error without one; behind a pointer it is
    /// `void`, as any type C need not know.
    pub fn resolve(&mut self, defs: &TypeDefs) -> syn::Result<()> {
        let cx = TypeCx::new(CoffiAttr::ForeignCall, self.options.header.is_some());
        let mut errors = Errors::default();
        for f in &mut self.fns {
            resolve_signature(
                &mut f.params,
                f.ret_ty.as_ref(),
                &mut f.ret,
                &cx,
                defs,
                &mut errors,
            );
        }
        errors.finish()
    }
}

impl Callback {
    /// Resolves the named types of the signature through `defs`; a name no
    /// alias defines is an error (`coffi_export.h` spells the prototype
    /// itself and includes no header of the user's).
    pub fn resolve(&mut self, defs: &TypeDefs) -> syn::Result<()> {
        let cx = TypeCx::new(CoffiAttr::ExportCallback, false);
        let mut errors = Errors::default();
        resolve_signature(
            &mut self.params,
            self.ret_ty.as_ref(),
            &mut self.ret,
            &cx,
            defs,
            &mut errors,
        );
        errors.finish()
    }
}

fn resolve_signature(
    params: &mut [Param],
    ret_ty: Option<&Type>,
    ret: &mut CType,
    cx: &TypeCx,
    defs: &TypeDefs,
    errors: &mut Errors,
) {
    for p in params {
        let at = Use {
            written: &p.ty,
            cx,
            defs,
        };
        errors.take(at.resolve(&mut p.ctype, Pos::Param, 0));
    }
    if let Some(ty) = ret_ty {
        let at = Use {
            written: ty,
            cx,
            defs,
        };
        errors.take(at.resolve(ret, Pos::Return, 0));
    }
}

/// One parameter or return type being resolved. Errors point at the type
/// as written there (an alias may be defined in another file), and name the
/// aliases they went through.
struct Use<'a> {
    written: &'a Type,
    cx: &'a TypeCx,
    defs: &'a TypeDefs,
}

impl Use<'_> {
    fn resolve(&self, ctype: &mut CType, pos: Pos, depth: usize) -> syn::Result<()> {
        match ctype {
            CType::Pointer(p) => self.resolve(&mut p.pointee, Pos::Pointee, depth),
            CType::Array(elem, _) => self.resolve(elem, Pos::Field, depth),
            CType::FnPtr(f) => {
                let mut errors = Errors::default();
                for param in &mut f.params {
                    errors.take(self.resolve(param, Pos::FnPtrParam, depth));
                }
                errors.take(self.resolve(&mut f.ret, Pos::FnPtrReturn, depth));
                errors.finish()
            }
            CType::Named(n) if n.resolved.is_none() => {
                n.resolved = self.lookup(n, pos, depth)?;
                if pos != Pos::Pointee && !n.in_option {
                    n.shape = self.defs.shape_of(&n.name, 0);
                }
                let in_fn_pointer = matches!(pos, Pos::FnPtrParam | Pos::FnPtrReturn);
                if in_fn_pointer && matches!(n.shape, Some(Shape::Struct(_))) {
                    return Err(spanned_err(
                        self.written,
                        format!(
                            "the struct `{}` by value inside a fn pointer type cannot cross to C \
                             through coffi: its layout would not be checked against C's",
                            n.name
                        ),
                        format!(
                            "make the fn pointer take or return `*const {}` or `*mut {}`",
                            n.name, n.name
                        ),
                    ));
                }
                Ok(())
            }
            _ => Ok(()),
        }
    }

    /// What the alias `n` names, when a bridged file defines it.
    fn lookup(&self, n: &Named, pos: Pos, depth: usize) -> syn::Result<Option<CType>> {
        let Some(defs) = self.defs.aliases.get(&n.name) else {
            return match self.defs.structs.get(&n.name) {
                // C need not know what it only points to; with a header,
                // a struct by value is the header's typedef.
                _ if pos == Pos::Pointee || self.cx.typedefs => Ok(None),
                Some(defs) if !n.in_option => self.struct_type(n, defs, depth).map(Some),
                Some(_) => Err(spanned_err(
                    self.written,
                    format!(
                        "`Option<{}>` cannot cross to C: `{}` is a struct, and only `Option` of \
                         an `extern \"C\" fn` pointer is a C type (`None` is `NULL`)",
                        n.name, n.name
                    ),
                    format!(
                        "pass `{}` by value, or a raw pointer to it (null for none)",
                        n.name
                    ),
                )),
                _ => Err(unknown_type(&n.name, self.written, self.cx.owner)),
            };
        };
        if depth >= MAX_ALIAS_DEPTH {
            return Err(spanned_err(
                self.written,
                format!(
                    "`{}` goes through more than {MAX_ALIAS_DEPTH} `type` aliases (at {})",
                    n.name, defs[0].origin
                ),
                "an alias cannot name itself, directly or through others: name a C type",
            ));
        }
        let mut found: Option<(CType, &AliasDef)> = None;
        for def in defs {
            let c = self.through(n, def, pos, depth)?;
            match &found {
                Some((first, first_def)) if first.effective() != c.effective() => {
                    return Err(spanned_err(
                        self.written,
                        format!(
                            "`{}` is defined twice as different C types: `{}` at {} (C `{}`) and `{}` at {} (C `{}`)",
                            n.name,
                            pretty(&first_def.ty),
                            first_def.origin,
                            first.c_spelling(),
                            pretty(&def.ty),
                            def.origin,
                            c.c_spelling()
                        ),
                        "coffi's build script resolves aliases by name: give them different names, \
                         or put the platform-specific one under `#[cfg(..)]`",
                    ));
                }
                Some(_) => {}
                None => found = Some((c, def)),
            }
        }
        // With a header, an alias that ends at a name C must take from the
        // header (a struct's tag, say, as bindgen writes
        // `pub type z_stream = z_stream_s;` for
        // `typedef struct z_stream_s {..} z_stream;`) is spelled by its own
        // name, the header's typedef.
        let ends_at_header_name =
            |c: &CType| matches!(c.effective(), CType::Named(inner) if inner.resolved.is_none());
        if self.cx.typedefs
            && pos != Pos::Pointee
            && found.as_ref().is_some_and(|(c, _)| ends_at_header_name(c))
        {
            return Ok(None);
        }
        Ok(found.map(|(c, _)| c))
    }

    /// The C type of `n` through one definition.
    fn through(&self, n: &Named, def: &AliasDef, pos: Pos, depth: usize) -> syn::Result<CType> {
        let mut c = classify(&def.ty, self.cx, pos).map_err(|e| self.via(n, def, &e))?;
        self.resolve(&mut c, pos, depth + 1)
            .map_err(|e| self.via(n, def, &e))?;
        let effective = c.effective().clone();
        if n.in_option {
            return match effective {
                CType::FnPtr(mut f) => {
                    f.nullable = true;
                    Ok(CType::FnPtr(f))
                }
                other => Err(self.via(
                    n,
                    def,
                    &spanned_err(
                        self.written,
                        format!(
                            "`Option<{}>` cannot cross to C: `{}` is the C `{}`, and only `Option` \
                             of an `extern \"C\" fn` pointer is a C type (`None` is `NULL`)",
                            n.name,
                            n.name,
                            other.c_spelling()
                        ),
                        format!("pass `{}` itself, or a raw pointer (null for none)", n.name),
                    ),
                )),
            };
        }
        if effective.is_void() && pos != Pos::Pointee {
            return Err(self.via(
                n,
                def,
                &spanned_err(
                    self.written,
                    "`()` and `c_void` cannot cross to C by value",
                    "write `()` for a C `void` return, and remove a `void` parameter",
                ),
            ));
        }
        Ok(c)
    }

    /// The C view of the struct `n`, defined by `def`.
    fn struct_type(&self, n: &Named, defs: &[StructDef], depth: usize) -> syn::Result<CType> {
        let name = &n.name;
        let def = &defs[0];
        let at = &def.origin;
        let text = |d: &StructDef| {
            d.fields
                .iter()
                .map(|(f, ty)| format!("{f}: {}", pretty(ty)))
                .collect::<Vec<_>>()
        };
        if let Some(other) = defs.iter().find(|d| text(d) != text(def)) {
            return Err(spanned_err(
                self.written,
                format!(
                    "two structs named `{name}` with different fields ({at} and {}): coffi's build \
                     script finds structs by name",
                    other.origin
                ),
                "rename one of them, or put the platform-specific one under `#[cfg(..)]`",
            ));
        }
        if let Err(e) = check_c_struct(&def.item) {
            let (problem, hint) = split(&e);
            return Err(spanned_err(
                self.written,
                format!("{problem} ({at})"),
                format!("{hint}; and derive `coffi::CStruct` for it"),
            ));
        }
        if depth >= MAX_ALIAS_DEPTH {
            return Err(spanned_err(
                self.written,
                format!("`{name}` nests structs deeper than {MAX_ALIAS_DEPTH}"),
                "flatten the struct",
            ));
        }
        // coffi's C side defines `struct Name { .. }` with the Rust names.
        let names = std::iter::once((name.as_str(), true))
            .chain(def.fields.iter().map(|(field, _)| (field.as_str(), false)));
        for (c_name, is_tag) in names {
            if let Some(problem) = struct_name_problem(c_name, is_tag) {
                return Err(spanned_err(
                    self.written,
                    format!(
                        "`struct {name}` ({at}) cannot be defined in C as Rust names it: {problem}"
                    ),
                    "rename it in Rust, or declare the C function with `header = \"..\"` so that \
                     the header's type is used",
                ));
            }
        }
        let mut fields = Vec::with_capacity(def.fields.len());
        for (field, ty) in &def.fields {
            let inner = |e: syn::Error| {
                let (problem, hint) = split(&e);
                spanned_err(
                    self.written,
                    format!("in field `{field}` of `struct {name}` ({at}): {problem}"),
                    hint,
                )
            };
            let mut c = classify(ty, self.cx, Pos::Field).map_err(inner)?;
            self.resolve(&mut c, Pos::Field, depth + 1).map_err(inner)?;
            fields.push((field.clone(), c));
        }
        Ok(CType::Struct(Box::new(StructType {
            name: name.clone(),
            fields,
        })))
    }

    /// An error met through the alias `n`, at the use, saying which alias.
    fn via(&self, n: &Named, def: &AliasDef, inner: &syn::Error) -> syn::Error {
        let (problem, hint) = split(inner);
        spanned_err(
            self.written,
            format!(
                "through `type {} = {};` ({}): {problem}",
                n.name,
                pretty(&def.ty),
                def.origin
            ),
            hint,
        )
    }
}

/// An error's message, split into the problem and the hint (the layout of
/// [`crate::diag::message`]).
fn split(e: &syn::Error) -> (String, String) {
    let text = e.to_string();
    match text.split_once("\nhelp: ") {
        Some((problem, hint)) => (problem.to_owned(), hint.to_owned()),
        None => (text, "name a C type".to_owned()),
    }
}
