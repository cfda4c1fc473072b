//! C spelling of [`CType`]s: declarators, including function pointers.

use crate::types::CType;

impl CType {
    /// The C declaration of an object of this type named `name`, or the
    /// abstract declarator (the type alone) when `name` is empty.
    ///
    /// ```
    /// use coffi_syntax::CType;
    ///
    /// let ty: syn::Type =
    ///     syn::parse_str("Option<unsafe extern \"C\" fn(*const c_void, *const c_void) -> c_int>")
    ///         .unwrap();
    /// let c = CType::from_rust(&ty).unwrap();
    /// assert_eq!(c.declare("cmp"), "int (*cmp)(const void *, const void *)");
    /// assert_eq!(c.declare(""), "int (*)(const void *, const void *)");
    /// ```
    pub fn declare(&self, name: &str) -> String {
        declare(self, Spelling::C, false, name)
    }

    /// The C spelling of the type alone, e.g. `const char *`.
    pub fn c_spelling(&self) -> String {
        declare(self, Spelling::C, false, "")
    }

    /// The spelling of the type as the item alone gives it: like
    /// [`c_spelling`](Self::c_spelling), with named types spelled by their
    /// Rust names (`Option<Cb>`) whatever they resolved to. The macro and the
    /// build script agree on it, so the signature hash is built from it.
    pub fn model_spelling(&self) -> String {
        declare(self, Spelling::Model, false, "")
    }
}

/// How named types are spelled.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Spelling {
    /// As C must see them: what they resolved to, else the typedef name
    /// (`void` behind a pointer).
    C,
    /// By their Rust names.
    Model,
}

/// The C prototype of a function `name(params) -> ret`, without the
/// trailing semicolon: `int add(int, int)`, `void f(void)`,
/// `int (*get(void))(int)`.
pub(crate) fn c_prototype(name: &str, params: &[CType], ret: &CType) -> String {
    let inner = format!("{name}({})", param_list(params, Spelling::C));
    declare(ret, Spelling::C, false, &inner)
}

fn param_list(params: &[CType], spelling: Spelling) -> String {
    if params.is_empty() {
        "void".to_owned()
    } else {
        params
            .iter()
            .map(|p| declare(p, spelling, false, ""))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// `declare(ty, qualified_const, inner)`: the classic inside-out declarator
/// construction. `inner` is what is declared so far (a name, `*name`,
/// `(*name)(int)`, or empty); `qualified_const` puts `const` on `ty` itself.
fn declare(ty: &CType, spelling: Spelling, qualified_const: bool, inner: &str) -> String {
    let q = if qualified_const { "const " } else { "" };
    match ty {
        CType::Void | CType::Opaque => join(&format!("{q}void"), inner),
        CType::Scalar(s) => join(&format!("{q}{}", s.c_name()), inner),
        CType::Named(n) => match (&n.resolved, spelling) {
            (Some(resolved), Spelling::C) => declare(resolved, spelling, qualified_const, inner),
            (_, Spelling::Model) if n.in_option => join(&format!("{q}Option<{}>", n.name), inner),
            _ => join(&format!("{q}{}", n.name), inner),
        },
        CType::Pointer(p) => {
            let inner = star(qualified_const, inner);
            match p.pointee.effective() {
                // C need not know a type it only points to (also through
                // aliases that end at a name no alias defines).
                CType::Named(n) if n.resolved.is_none() && spelling == Spelling::C => {
                    declare(&CType::Opaque, spelling, p.pointee_const, &inner)
                }
                _ => declare(&p.pointee, spelling, p.pointee_const, &inner),
            }
        }
        CType::Struct(st) => join(&format!("{q}struct {}", st.name), inner),
        CType::Array(elem, len) => {
            declare(elem, spelling, qualified_const, &format!("{inner}[{len}]"))
        }
        CType::FnPtr(f) => {
            let inner = format!(
                "({})({})",
                star(qualified_const, inner),
                param_list(&f.params, spelling)
            );
            declare(&f.ret, spelling, false, &inner)
        }
    }
}

/// `*inner`, or `*const inner` for a const-qualified pointer.
fn star(qualified_const: bool, inner: &str) -> String {
    match (qualified_const, inner.is_empty()) {
        (false, _) => format!("*{inner}"),
        (true, true) => "*const".to_owned(),
        (true, false) => format!("*const {inner}"),
    }
}

fn join(base: &str, inner: &str) -> String {
    if inner.is_empty() {
        base.to_owned()
    } else {
        format!("{base} {inner}")
    }
}

impl crate::types::StructType {
    /// The C definition: `struct Point { double x; double y; };`.
    pub fn c_definition(&self) -> String {
        let fields: Vec<String> = self
            .fields
            .iter()
            .map(|(name, ty)| format!("{};", ty.declare(name)))
            .collect();
        format!("struct {} {{ {} }};", self.name, fields.join(" "))
    }
}

/// The structs that `types` pass by value (also inside fn pointer types and
/// as fields), each once, every struct after those it contains: the order
/// in which C needs their definitions.
///
/// ```
/// use coffi_syntax::{CType, StructType};
///
/// let int = CType::from_rust(&syn::parse_str("c_int").unwrap()).unwrap();
/// let point = StructType { name: "point".into(), fields: vec![("x".into(), int.clone())] };
/// let inner = CType::Struct(Box::new(point.clone()));
/// let outer = StructType { name: "pair".into(), fields: vec![("a".into(), inner.clone())] };
/// let outer = CType::Struct(Box::new(outer));
/// let structs = coffi_syntax::structs_by_value([&outer, &inner]);
/// let names: Vec<_> = structs.iter().map(|s| s.name.as_str()).collect();
/// assert_eq!(names, ["point", "pair"]);
/// assert_eq!(structs[0].c_definition(), "struct point { int x; };");
/// ```
pub fn structs_by_value<'a>(
    types: impl IntoIterator<Item = &'a CType>,
) -> Vec<&'a crate::types::StructType> {
    fn walk<'a>(ty: &'a CType, out: &mut Vec<&'a crate::types::StructType>) {
        match ty {
            CType::Named(n) => {
                if let Some(resolved) = &n.resolved {
                    walk(resolved, out);
                }
            }
            CType::Struct(st) => {
                for (_, field) in &st.fields {
                    walk(field, out);
                }
                if !out.iter().any(|s| s.name == st.name) {
                    out.push(st);
                }
            }
            CType::Array(elem, _) => walk(elem, out),
            CType::FnPtr(f) => {
                for p in &f.params {
                    walk(p, out);
                }
                walk(&f.ret, out);
            }
            CType::Void | CType::Scalar(_) | CType::Pointer(_) | CType::Opaque => {}
        }
    }
    let mut out = Vec::new();
    for ty in types {
        walk(ty, &mut out);
    }
    out
}
