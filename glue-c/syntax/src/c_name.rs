//! Names the generated C uses: a bridged or exported function's C name
//! must be a C identifier that is not a keyword, a standard macro or one of
//! coffi's own names.

use crate::diag::spanned_err;
use quote::ToTokens;

/// C keywords (C89 to C23) and macros of the standard headers a shim
/// includes: a C function cannot be called by these names.
const C_RESERVED: &[&str] = &[
    "auto",
    "break",
    "case",
    "char",
    "const",
    "continue",
    "default",
    "do",
    "double",
    "else",
    "enum",
    "extern",
    "float",
    "for",
    "goto",
    "if",
    "inline",
    "int",
    "long",
    "register",
    "restrict",
    "return",
    "short",
    "signed",
    "sizeof",
    "static",
    "struct",
    "switch",
    "typedef",
    "union",
    "unsigned",
    "void",
    "volatile",
    "while",
    "_Alignas",
    "_Alignof",
    "_Atomic",
    "_Bool",
    "_Complex",
    "_Generic",
    "_Imaginary",
    "_Noreturn",
    "_Static_assert",
    "_Thread_local",
    "alignas",
    "alignof",
    "bool",
    "constexpr",
    "false",
    "nullptr",
    "static_assert",
    "thread_local",
    "true",
    "typeof",
    "typeof_unqual",
    "errno",
    "offsetof",
    "NULL",
    // Predefined by GCC and Clang in their default (GNU) modes.
    "unix",
    "linux",
];

/// Struct tags the standard headers a shim includes already define.
const C_TAGS: &[&str] = &["timespec", "timeval"];

/// Why `name` cannot name a field (or, with `is_tag`, the tag) of a struct
/// the generated C defines, if it cannot.
pub(crate) fn struct_name_problem(name: &str, is_tag: bool) -> Option<String> {
    if C_RESERVED.contains(&name) {
        return Some(format!("`{name}` is a C keyword or standard macro"));
    }
    if name.starts_with("__coffi_") {
        return Some(format!("`{name}` is reserved by coffi"));
    }
    if is_tag && C_TAGS.contains(&name) {
        return Some(format!(
            "`struct {name}` is defined by the C standard headers"
        ));
    }
    None
}

/// Checks that `name` can be used as a C identifier in the generated C.
/// `tokens` is what to blame; `fix` says how to rename.
pub(crate) fn check_c_name(name: &str, tokens: impl ToTokens, fix: &str) -> syn::Result<()> {
    let valid = name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if !valid {
        return Err(spanned_err(
            tokens,
            format!("`{name}` is not a C identifier, and coffi's C shims name the function"),
            fix,
        ));
    }
    if C_RESERVED.contains(&name) {
        return Err(spanned_err(
            tokens,
            format!("`{name}` is a C keyword or standard macro and cannot name a C function"),
            fix,
        ));
    }
    if name.starts_with("__coffi_")
        || name.starts_with("coffi_build_bridge_")
        || name == "coffi_topofstack"
    {
        return Err(spanned_err(
            tokens,
            format!("`{name}` is reserved by coffi"),
            fix,
        ));
    }
    Ok(())
}
