//! The C side of `#[foreign_call]`: one shim per function.
//!
//! ```c
//! int add(int, int);                       /* without header = "..." */
//! struct __coffi_frame_add_H { int p0; int p1; int r; };
//! _Static_assert(/* size, alignment, offsets of the model */);
//! const char coffi_build_bridge_missing_for__add_H = 0;
//! void __coffi_shim_add_H(void *__coffi_a, const volatile uintptr_t *__coffi_top) {
//!     struct __coffi_frame_add_H *__coffi_f = __coffi_a;
//!     uintptr_t __coffi_top0 = *__coffi_top;
//!     int __coffi_r = add(__coffi_f->p0, __coffi_f->p1);
//!     __coffi_f = (struct __coffi_frame_add_H *)((uintptr_t)__coffi_f + (*__coffi_top - __coffi_top0));
//!     __coffi_f->r = __coffi_r;
//! }
//! ```
//!
//! The arguments are read before the call, while the frame is where the
//! trampoline put it. During the call a callback may relocate the
//! coroutine's stack, so the results are stored through a pointer
//! re-derived from the stack-top delta *after* the call. The runtime passes
//! `__coffi_top`, the address of the running coroutine's current window top
//! (what `coffi_topofstack()` returns; a constant 0 off a coroutine), so the
//! shim reads it with two loads instead of two calls. With
//! `errno`, `errno = 0` comes right before the call and `errno` is read
//! right after it. Locals are prefixed `__coffi_` so that no C name can
//! collide with them.

use crate::error::Located;
use coffi_syntax::{CType, FieldRole, ForeignFn, FrameLayout, Shape, shim_abi};
use std::fmt::Write as _;

/// How a shim's C function is declared.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Declaration {
    /// By the model's prototype.
    Prototype,
    /// By a header (`header = ".."`).
    Header,
    /// Under another C name bound to the symbol (`__asm__("name")`), for a
    /// second, different prototype of the same C function, which only
    /// declarations under exclusive cfgs the build script cannot evaluate
    /// may have: C allows one prototype per name in a translation unit.
    Renamed,
}

/// Appends the shim of `f`.
///
/// Every line but the first comment is preceded by a `#line` directive
/// naming the Rust declaration, so that a C compiler's error in a shim (a
/// type the header does not declare, a prototype that conflicts with the
/// header's) points at the Rust file and line it comes from.
pub(crate) fn write_shim(out: &mut String, loc: &Located<ForeignFn>, declaration: Declaration) {
    let f = &loc.item;
    let file = loc.file.replace("*/", "* /");
    w(
        out,
        format_args!("/* {} ({file}:{}) */", f.rust_name, loc.line),
    );
    let mut body = String::new();
    write_shim_body(&mut body, f, declaration);
    let line = line_directive(loc);
    for text in body.lines() {
        out.push_str(&line);
        out.push_str(text);
        out.push('\n');
    }
    out.push('\n');
}

/// `#line N "file"` naming where `loc` is, with its newline.
pub(crate) fn line_directive<T>(loc: &Located<T>) -> String {
    format!("#line {} \"{}\"\n", loc.line, c_string(&loc.file))
}

/// `s` as the inside of a C string literal.
fn c_string(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"")
}

fn write_shim_body(out: &mut String, f: &ForeignFn, declaration: Declaration) {
    let layout = f.layout();
    let tag = f.frame_tag();
    let shim = f.shim_symbol();
    let header_mode = f.options.header.is_some();
    let callee = match declaration {
        Declaration::Prototype => {
            w(out, format_args!("{};", f.c_prototype()));
            f.c_name.clone()
        }
        Declaration::Header => f.c_name.clone(),
        Declaration::Renamed => {
            let local = format!("__coffi_decl_{}_{}", f.c_name, f.hash());
            let renamed = f.c_prototype_named(&local);
            w(out, format_args!("{renamed} __asm__(\"{}\");", f.c_name));
            local
        }
    };
    if !layout.is_empty() {
        let fields: Vec<String> = layout
            .fields
            .iter()
            .map(|field| format!("{};", field.ctype.declare(&field.c_name())))
            .collect();
        w(
            out,
            format_args!("struct {tag} {{ {} }};", fields.join(" ")),
        );
        static_assert(out, f, &layout, &tag);
        if !layout.is_known() {
            layout_table(out, f, &layout, &tag);
        }
    }
    w(out, format_args!("const char {} = 0;", f.marker_symbol()));
    let declarator = shim_abi::c_declarator(&shim, "__coffi_a", "__coffi_top");
    w(out, format_args!("{declarator};"));
    w(out, format_args!("{declarator} {{"));
    if layout.is_empty() {
        w(out, format_args!("    (void)__coffi_a;"));
    } else {
        w(
            out,
            format_args!("    struct {tag} *__coffi_f = __coffi_a;"),
        );
    }
    let args: Vec<String> = layout
        .fields
        .iter()
        .filter(|field| matches!(field.role, FieldRole::Param(_)))
        .map(|field| {
            let value = format!("__coffi_f->{}", field.c_name());
            // With a header, the header's prototype is authoritative: a
            // pointer goes through `void *`, which converts to whatever
            // pointee types the header spells (opaque structs, typedefs).
            if header_mode && field.ctype.is_pointer_like() {
                format!("(void *){value}")
            } else {
                value
            }
        })
        .collect();
    let call = format!("{callee}({})", args.join(", "));
    let stores_something = layout.ret().is_some() || layout.errno().is_some();
    if !stores_something {
        w(out, format_args!("    (void)__coffi_top;"));
    } else {
        w(
            out,
            format_args!("    uintptr_t __coffi_top0 = *__coffi_top;"),
        );
    }
    if f.options.errno {
        w(out, format_args!("    errno = 0;"));
    }
    match layout.ret() {
        None => w(out, format_args!("    {call};")),
        Some(r) if header_mode && r.ctype.is_pointer_like() => w(
            out,
            format_args!(
                "    {} = ({}){call};",
                r.ctype.declare("__coffi_r"),
                r.ctype.c_spelling()
            ),
        ),
        Some(r) => w(
            out,
            format_args!("    {} = {call};", r.ctype.declare("__coffi_r")),
        ),
    }
    if f.options.errno {
        w(out, format_args!("    int __coffi_e = errno;"));
    }
    if stores_something {
        w(
            out,
            format_args!(
                "    __coffi_f = (struct {tag} *)((uintptr_t)__coffi_f + (*__coffi_top - __coffi_top0));"
            ),
        );
    }
    if let Some(r) = layout.ret() {
        w(
            out,
            format_args!("    __coffi_f->{} = __coffi_r;", r.c_name()),
        );
    }
    if let Some(e) = layout.errno() {
        w(
            out,
            format_args!("    __coffi_f->{} = __coffi_e;", e.c_name()),
        );
    }
    w(out, format_args!("}}"));
}

/// The model's layout, asserted against the C compiler's.
fn static_assert(out: &mut String, f: &ForeignFn, layout: &FrameLayout, tag: &str) {
    let mut conds = Vec::new();
    if let (Some(size), Some(align)) = (layout.size, layout.align) {
        conds.push(format!("sizeof(struct {tag}) == {size}"));
        conds.push(format!("_Alignof(struct {tag}) == {align}"));
    }
    for field in &layout.fields {
        if let Some(offset) = field.offset.filter(|&o| o != 0) {
            conds.push(format!(
                "offsetof(struct {tag}, {}) == {offset}",
                field.c_name()
            ));
        }
    }
    if conds.is_empty() {
        return;
    }
    w(
        out,
        format_args!(
            "_Static_assert({}, \"coffi: the C frame of `{}` differs from coffi's LP64 model\");",
            conds.join(" && "),
            f.rust_name
        ),
    );
}

/// `const size_t __coffi_layout_..[] = { sizeof, _Alignof, offsets..,
/// (flag, layout number).. };` for frames with fields of named types,
/// checked by the trampoline at run time: the layout number of a struct
/// covers each of its fields' offsets, through nested structs and arrays.
fn layout_table(out: &mut String, f: &ForeignFn, layout: &FrameLayout, tag: &str) {
    let mut entries = vec![
        format!("sizeof(struct {tag})"),
        format!("_Alignof(struct {tag})"),
    ];
    entries.extend(
        layout
            .fields
            .iter()
            .map(|field| format!("offsetof(struct {tag}, {})", field.c_name())),
    );
    let header_mode = f.options.header.is_some();
    let field_name = |rust: &str| c_field_name(rust, header_mode);
    for field in layout.named_fields() {
        let CType::Named(n) = &field.ctype else {
            continue;
        };
        let ty = format!("__typeof__(((struct {tag} *)0)->{})", field.c_name());
        // A struct the bridged files do not define (a header's typedef):
        // compared by size only, and the flag says so.
        let (known, shape) = match &n.shape {
            Some(shape) => (1, shape.clone()),
            None => (0, Shape::Sized),
        };
        entries.push(format!("(size_t){known}"));
        entries.push(format!(
            "(size_t)({})",
            shape.c_layout_expr(&ty, &field_name)
        ));
    }
    debug_assert_eq!(entries.len(), layout.table_len());
    w(
        out,
        format_args!(
            "const size_t {}[{}] = {{ {} }};",
            f.layout_symbol(),
            entries.len(),
            entries.join(", ")
        ),
    );
}

/// The C name of a struct field named `rust` in Rust. A header's struct is
/// named as C names it: bindgen appends `_` to C field names that are Rust
/// keywords (`type` is `type_`), which is undone here.
fn c_field_name(rust: &str, header_mode: bool) -> String {
    const KEYWORDS: &[&str] = &[
        "abstract", "as", "async", "await", "become", "box", "break", "const", "continue", "crate",
        "do", "dyn", "else", "enum", "extern", "false", "final", "fn", "for", "gen", "if", "impl",
        "in", "let", "loop", "macro", "match", "mod", "move", "mut", "override", "priv", "pub",
        "ref", "return", "self", "static", "struct", "super", "trait", "true", "try", "type",
        "typeof", "unsafe", "unsized", "use", "virtual", "where", "while", "yield",
    ];
    match rust.strip_suffix('_') {
        Some(stem) if header_mode && KEYWORDS.contains(&stem) => stem.to_owned(),
        _ => rust.to_owned(),
    }
}

/// Whether a header-mode shim passes a fn pointer through `void *`
/// (accepted by GCC and Clang; only `-Wpedantic` objects).
pub(crate) fn casts_fn_pointers(f: &ForeignFn) -> bool {
    f.options.header.is_some() && f.params.iter().any(|p| p.ctype.is_fn_pointer())
}

fn w(out: &mut String, args: std::fmt::Arguments) {
    // Writing to a String cannot fail.
    let _ = out.write_fmt(args);
    out.push('\n');
}
