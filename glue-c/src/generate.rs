//! Source text → generated C text, with no file system or `cc` involved.

use crate::cfg::{CfgEnv, is_conditional};
use crate::error::{Diagnostic, Error, Located};
use crate::headers::{ExportedCallback, export_h};
use crate::shim::{Declaration, casts_fn_pointers, line_directive, write_shim};
use crate::source::{SourceFile, parse};
use coffi_syntax::{Annotated, ForeignFn, Header, TypeDefs, structs_by_value};

/// The C text generated for some source files.
///
/// ```
/// let src = r#"
///     #[coffi::foreign_call(header = "lib.h")]
///     unsafe extern "C" { fn f(x: i32) -> i32; }
///     #[coffi::export_callback]
///     extern "C" fn g(x: i32) -> i32 { x }
/// "#;
/// let out = coffi_build::generate(src).unwrap();
/// assert!(out.shims_c.contains("#include \"lib.h\""));
/// assert!(out.export_h.contains("int32_t g(int32_t);"));
/// assert_eq!(out.headers.len(), 1);
/// ```
#[derive(Clone, Debug)]
pub struct Generated {
    /// The shims of every `#[foreign_call]` function (compile it with
    /// `coffi.h` on the include path).
    pub shims_c: String,
    /// `coffi_export.h`: the prototypes of every `#[export_callback]`.
    pub export_h: String,
    /// The headers named by `header = "..."`, in order of first use.
    pub headers: Vec<Header>,
    pub(crate) callbacks: Vec<ExportedCallback>,
    /// The files left out because they are not valid Rust (only by
    /// [`bridge`](crate::bridge)).
    pub(crate) skipped: Vec<Diagnostic>,
}

/// Generates the C side of one Rust source file (named `<source>` in
/// errors).
///
/// ```
/// let src = r#"
///     use core::ffi::c_int;
///     #[coffi::foreign_call]
///     unsafe extern "C" { pub fn add(a: c_int, b: c_int) -> c_int; }
///     #[coffi::export_callback]
///     extern "C" fn twice(x: c_int) -> c_int { 2 * x }
/// "#;
/// let out = coffi_build::generate(src).unwrap();
/// assert!(out.shims_c.contains("int add(int, int);"));
/// assert!(out.shims_c.contains("int __coffi_r = add(__coffi_f->p0, __coffi_f->p1);"));
/// assert!(out.export_h.contains("int twice(int);"));
/// ```
pub fn generate(source: &str) -> Result<Generated, Error> {
    generate_sources([("<source>", source)])
}

/// Generates the C side of several Rust source files, given as
/// `(name, text)` pairs; errors carry the names.
///
/// ```
/// let a = "#[coffi::foreign_call] unsafe extern \"C\" { fn f(x: i32) -> i32; }";
/// let b = "#[coffi::foreign_call] unsafe extern \"C\" { fn f(x: i64) -> i64; }";
/// let err = coffi_build::generate_sources([("a.rs", a), ("b.rs", b)]).unwrap_err();
/// assert!(err.to_string().starts_with("b.rs:1:47: error: `f` is declared twice"));
/// ```
pub fn generate_sources<'a>(
    sources: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> Result<Generated, Error> {
    let cfg = CfgEnv::from_env();
    let mut errors = Error::new(Vec::new());
    let mut files: Vec<SourceFile> = Vec::new();
    for (name, text) in sources {
        match parse(name, text, &cfg) {
            Ok(file) => files.push(file),
            Err(d) => errors.extend(Error::new(vec![d])),
        }
    }
    if !errors.diagnostics().is_empty() {
        return Err(errors);
    }
    generate_parsed(files, Vec::new())
}

/// The C side of parsed files (`skipped`: those left out, for
/// [`Generated::skipped`]).
pub(crate) fn generate_parsed(
    files: Vec<SourceFile>,
    skipped: Vec<Diagnostic>,
) -> Result<Generated, Error> {
    let mut errors = Error::new(Vec::new());
    // Aliases resolve across every bridged file, as `use` makes them
    // visible across modules.
    let mut defs = TypeDefs::default();
    for file in &files {
        file.add_type_defs(&mut defs);
    }
    let mut fns: Vec<Located<ForeignFn>> = Vec::new();
    let mut callbacks: Vec<Located<ExportedCallback>> = Vec::new();
    for file in &files {
        match file.scan(&defs) {
            Ok(items) => collect(&file.name, items, &mut fns, &mut callbacks),
            Err(e) => errors.extend(e),
        }
    }
    if !errors.diagnostics().is_empty() {
        return Err(errors);
    }
    let fns = dedup_fns(fns)?;
    let callbacks = dedup_callbacks(callbacks)?;
    Ok(Generated {
        shims_c: shims_c(&fns),
        export_h: export_h(&callbacks),
        headers: headers(&fns),
        callbacks,
        skipped,
    })
}

fn collect(
    file: &str,
    items: Vec<Annotated>,
    fns: &mut Vec<Located<ForeignFn>>,
    callbacks: &mut Vec<Located<ExportedCallback>>,
) {
    for item in items {
        match item {
            Annotated::ForeignBlock(block) => {
                let block_cfgs: Vec<_> = block
                    .attrs
                    .iter()
                    .filter(|a| a.path().is_ident("cfg"))
                    .cloned()
                    .collect();
                for mut f in block.fns {
                    // The block's unknown cfgs hold for each function.
                    f.attrs.extend(block_cfgs.iter().cloned());
                    let start = f.c_name_span.start();
                    fns.push(Located {
                        item: f,
                        file: file.to_owned(),
                        line: start.line,
                        column: start.column + 1,
                    });
                }
            }
            Annotated::Callback(cb) => {
                let start = cb.rust_name().span().start();
                let types = cb.params.iter().map(|p| &p.ctype).chain([&cb.ret]);
                let structs = structs_by_value(types)
                    .into_iter()
                    .map(|s| (s.name.clone(), s.c_definition()))
                    .collect();
                let item = ExportedCallback {
                    structs,
                    conditional: is_conditional(&cb.attrs),
                    c_name: cb.c_name.clone(),
                    prototype: cb.c_prototype(),
                    location: format!(
                        "{} ({}:{})",
                        cb.rust_name(),
                        file.replace("*/", "* /"),
                        start.line
                    ),
                };
                callbacks.push(Located {
                    item,
                    file: file.to_owned(),
                    line: start.line,
                    column: start.column + 1,
                });
            }
        }
    }
}

/// One shim per shim symbol. The same C function may be declared more than
/// once (for example with and without `errno`, or once through a header):
/// that is fine while the C prototypes agree, or when every declaration uses
/// a header, whose prototype then rules, or when both are under `#[cfg]`s
/// the build script cannot evaluate (at most one of them is compiled: see
/// [`Declaration::Renamed`]); otherwise different prototypes cannot share
/// one translation unit.
fn dedup_fns(fns: Vec<Located<ForeignFn>>) -> Result<Vec<Located<ForeignFn>>, Error> {
    let mut out: Vec<Located<ForeignFn>> = Vec::new();
    for loc in fns {
        let conflict = out.iter().find(|first| {
            first.item.c_name == loc.item.c_name
                && first.item.c_prototype() != loc.item.c_prototype()
                && !(first.item.options.header.is_some() && loc.item.options.header.is_some())
                && !(is_conditional(&first.item.attrs) && is_conditional(&loc.item.attrs))
        });
        if let Some(first) = conflict {
            return Err(loc.error(
                format!(
                    "`{}` is declared twice with different C signatures: `{}` at {}:{}:{} and `{}` here\n\
                     help: C has one prototype per symbol: make the declarations agree, give both \
                     blocks `header = \"...\"` so that the header's prototype is used, or put them \
                     under `#[cfg]`s that exclude each other",
                    loc.item.c_name,
                    first.item.c_prototype(),
                    first.file,
                    first.line,
                    first.column,
                    loc.item.c_prototype()
                ),
            ));
        }
        if !out
            .iter()
            .any(|o| o.item.shim_symbol() == loc.item.shim_symbol())
        {
            out.push(loc);
        }
    }
    Ok(out)
}

fn dedup_callbacks(
    callbacks: Vec<Located<ExportedCallback>>,
) -> Result<Vec<ExportedCallback>, Error> {
    let mut out: Vec<Located<ExportedCallback>> = Vec::new();
    for loc in callbacks {
        if let Some(first) = out.iter().find(|o| o.item.c_name == loc.item.c_name) {
            // Under cfgs the build script cannot evaluate, at most one is
            // compiled: `coffi_export.h` declares the first, which is right
            // only when both have the same prototype.
            if first.item.conditional
                && loc.item.conditional
                && first.item.prototype == loc.item.prototype
            {
                continue;
            }
            return Err(loc.error(format!(
                "the C symbol `{}` is exported twice (first at {}:{}:{})\n\
                     help: give one of them another name, or `#[unsafe(export_name = \"...\")]`",
                loc.item.c_name, first.file, first.line, first.column
            )));
        }
        out.push(loc);
    }
    Ok(out.into_iter().map(|l| l.item).collect())
}

fn headers(fns: &[Located<ForeignFn>]) -> Vec<Header> {
    let mut out: Vec<Header> = Vec::new();
    for h in fns.iter().filter_map(|f| f.item.options.header.as_ref()) {
        if !out.contains(h) {
            out.push(h.clone());
        }
    }
    out
}

/// The shim file: the functions without a header first (their prototypes
/// are the model's), then, per header, its `#include` and its functions, so
/// that no header's macros reach the functions declared by the model.
fn shims_c(fns: &[Located<ForeignFn>]) -> String {
    let mut out = String::from(
        "// generated by coffi-build: C shims of the #[foreign_call] functions; do not edit\n\
         #include \"coffi.h\"\n\n",
    );
    // The structs passed by value, defined as the Rust side lays them out
    // (with a header, a struct by value is the header's typedef).
    let model_declared = fns.iter().filter(|f| f.item.options.header.is_none());
    let types =
        model_declared.flat_map(|f| f.item.params.iter().map(|p| &p.ctype).chain([&f.item.ret]));
    for st in structs_by_value(types) {
        out.push_str(&st.c_definition());
        out.push('\n');
    }
    // The prototype each C name was first declared with.
    let mut declared: Vec<(&str, String)> = Vec::new();
    for f in fns.iter().filter(|f| f.item.options.header.is_none()) {
        let prototype = f.item.c_prototype();
        let declaration = match declared.iter().find(|(name, _)| *name == f.item.c_name) {
            None => {
                declared.push((&f.item.c_name, prototype));
                Declaration::Prototype
            }
            Some((_, first)) if *first == prototype => Declaration::Prototype,
            Some(_) => Declaration::Renamed,
        };
        write_shim(&mut out, f, declaration);
    }
    if fns.iter().any(|f| casts_fn_pointers(&f.item)) {
        out.push_str(
            "/* Below, fn pointers pass through `void *` to match the headers' prototypes. */\n\
             #pragma GCC diagnostic ignored \"-Wpedantic\"\n\n",
        );
    }
    for header in headers(fns) {
        // A header that is missing or does not compile is named at the
        // first Rust block that asks for it.
        if let Some(first) = fns
            .iter()
            .find(|f| f.item.options.header.as_ref() == Some(&header))
        {
            out.push_str(&line_directive(first));
        }
        out.push_str(&header.include_directive());
        out.push_str("\n\n");
        for f in fns
            .iter()
            .filter(|f| f.item.options.header.as_ref() == Some(&header))
        {
            write_shim(&mut out, f, Declaration::Header);
        }
    }
    out
}
