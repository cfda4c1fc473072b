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
        declare(self, false, name)
    }

    /// The C spelling of the type alone, e.g. `const char *`.
    pub fn c_spelling(&self) -> String {
        declare(self, false, "")
    }
}

/// The C prototype of a function `name(params) -> ret`, without the
/// trailing semicolon: `int add(int, int)`, `void f(void)`,
/// `int (*get(void))(int)`.
pub(crate) fn c_prototype(name: &str, params: &[CType], ret: &CType) -> String {
    declare(ret, false, &format!("{name}({})", param_list(params)))
}

fn param_list(params: &[CType]) -> String {
    if params.is_empty() {
        "void".to_owned()
    } else {
        params
            .iter()
            .map(CType::c_spelling)
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// `declare(ty, qualified_const, inner)`: the classic inside-out declarator
/// construction. `inner` is what is declared so far (a name, `*name`,
/// `(*name)(int)`, or empty); `qualified_const` puts `const` on `ty` itself.
fn declare(ty: &CType, qualified_const: bool, inner: &str) -> String {
    let q = if qualified_const { "const " } else { "" };
    match ty {
        CType::Void | CType::Opaque => join(&format!("{q}void"), inner),
        CType::Scalar(s) => join(&format!("{q}{}", s.c_name()), inner),
        CType::Typedef(name) => join(&format!("{q}{name}"), inner),
        CType::Pointer(p) => declare(&p.pointee, p.pointee_const, &star(qualified_const, inner)),
        CType::FnPtr(f) => {
            let inner = format!(
                "({})({})",
                star(qualified_const, inner),
                param_list(&f.params)
            );
            declare(&f.ret, false, &inner)
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
