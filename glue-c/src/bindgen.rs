//! bindgen's output in, a copy with every `extern "C"` block under
//! `#[coffi::foreign_call(header = "..")]` out.
//!
//! The copy keeps bindgen's text: only the extern blocks are rewritten, each
//! into a bridged block of the functions coffi can bridge and, when some
//! cannot be (variadic functions, statics, anything `coffi-syntax` rejects),
//! a plain block of the rest, in place. Everything else (types, constants,
//! layout tests, comments) is copied byte for byte.

use crate::error::{Diagnostic, Error};
use proc_macro2::{Ident, Literal, Punct, Spacing, Span, TokenStream, TokenTree};
use std::ops::Range;
use std::path::{Path, PathBuf};
use syn::spanned::Spanned;
use syn::{ForeignItem, Item, ItemForeignMod};

/// A bindgen output file with its extern blocks marked for coffi: what
/// [`mark_bindgen`] returns (and [`bridge_bindgen`] writes).
///
/// ```
/// let bindings = r#"
/// pub type uLong = ::std::os::raw::c_ulong;
/// unsafe extern "C" {
///     pub fn crc32(crc: uLong, buf: *const u8, len: ::std::os::raw::c_uint) -> uLong;
/// }
/// unsafe extern "C" {
///     pub fn gzprintf(file: *mut u8, format: *const ::std::os::raw::c_char, ...) -> ::std::os::raw::c_int;
/// }
/// "#;
/// let marked = coffi_build::mark_bindgen("bindings.rs", bindings, "<zlib.h>").unwrap();
/// assert!(marked.text.contains(
///     "#[coffi::foreign_call(header = \"<zlib.h>\")]\nunsafe extern \"C\" {\n    pub fn crc32("
/// ));
/// assert_eq!(marked.bridged, ["crc32"]);
/// assert_eq!(marked.left_plain[0].name, "gzprintf");
/// assert_eq!(marked.left_plain[0].reason, "variadic");
/// // The copy is what `coffi_build::bridge` reads: it finds crc32.
/// let c = coffi_build::generate(&marked.text).unwrap();
/// assert!(c.shims_c.contains("__coffi_r = crc32("));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MarkedBindings {
    /// The marked copy of the file, to `include!`.
    pub text: String,
    /// The functions put under `#[coffi::foreign_call]`, in file order.
    pub bridged: Vec<String>,
    /// The functions left in a plain extern block, in file order.
    pub left_plain: Vec<LeftPlain>,
}

/// A function of the bindings that coffi cannot bridge: it stays in a plain
/// `extern "C"` block, so a coroutine that calls it runs it on its own
/// (small) stack.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LeftPlain {
    /// The Rust name of the function.
    pub name: String,
    /// Why: `variadic`, or the first line of coffi's error for it (e.g. a
    /// by-value struct or a type that cannot cross).
    pub reason: String,
    /// 1-based line of the function in the bindings file.
    pub line: usize,
}

/// Marks the bindings that bindgen wrote to `bindings` (a path relative to
/// `CARGO_MANIFEST_DIR`, or absolute, e.g. in `OUT_DIR`) for coffi, with
/// `header` the header the shims include (as in `header = ".."`: `"wrapper.h"`
/// relative to the manifest directory, or `"<zlib.h>"` from the system), and
/// writes the marked copy into `OUT_DIR` as `<file stem>_coffi.rs`. Returns
/// its path, for [`bridge`](crate::bridge) and `include!`:
///
/// ```no_run
/// // build.rs
/// use std::path::PathBuf;
///
/// fn main() {
///     let out = PathBuf::from(std::env::var("OUT_DIR").unwrap());
///     # #[cfg(any())]
///     bindgen::Builder::default()
///         .header("wrapper.h")
///         .parse_callbacks(Box::new(bindgen::CargoCallbacks::new()))
///         .generate()
///         .expect("bindgen")
///         .write_to_file(out.join("bindings.rs"))
///         .expect("write bindings");
///     let marked = coffi_build::bridge_bindgen(out.join("bindings.rs"), "wrapper.h");
///     coffi_build::bridge(&marked).compile("myffi_shims"); // marked is absolute
///     println!("cargo:rustc-link-lib=mylib");
/// }
/// ```
///
/// and in the crate:
///
/// ```ignore
/// #[allow(non_upper_case_globals, non_camel_case_types, non_snake_case)]
/// mod sys {
///     include!(concat!(env!("OUT_DIR"), "/bindings_coffi.rs"));
/// }
/// ```
///
/// Every function of every `extern "C"` (or `"C-unwind"`) block goes under
/// `#[coffi::foreign_call(header = "..")]`, checked one at a time with the
/// macro's own rules. The functions coffi cannot bridge (variadic ones,
/// and any that [`mark_bindgen`] lists in
/// [`left_plain`](MarkedBindings::left_plain)) and statics stay in a plain
/// extern block: they still work, but run on the coroutine's stack, so one
/// `cargo:warning` names them. Blocks already under a coffi attribute and
/// blocks of other ABIs are left as they are. Each struct a bridged function
/// takes or returns by value (and each struct such a struct holds) gets
/// `#[derive(coffi::CStruct)]`.
///
/// Prints `cargo:rerun-if-changed` for the bindings file; [`bridge`]
/// prints it for the marked copy.
///
/// # Panics
///
/// Outside a build script (no `CARGO_MANIFEST_DIR` or `OUT_DIR`), when the
/// file cannot be read or is not valid Rust, when `header` is not a valid
/// `header = ".."` value, and when the copy cannot be written; each message
/// names the file and what to do.
///
/// [`bridge`]: crate::bridge
pub fn bridge_bindgen(bindings: impl AsRef<Path>, header: &str) -> PathBuf {
    let manifest_dir = env_dir("CARGO_MANIFEST_DIR");
    let out_dir = env_dir("OUT_DIR");
    let path = manifest_dir.join(bindings.as_ref());
    println!("cargo:rerun-if-changed={}", path.display());
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "coffi_build::bridge_bindgen: cannot read `{}` (a relative path is relative to {}; \
             pass the file bindgen's `write_to_file` wrote, e.g. `out_dir.join(\"bindings.rs\")`): {e}",
            path.display(),
            manifest_dir.display()
        )
    });
    let name = bindings.as_ref().display().to_string();
    let marked = mark_bindgen(&name, &text, header)
        .unwrap_or_else(|e| panic!("coffi_build::bridge_bindgen: {e}"));
    if let Some(warning) = left_plain_warning(&name, &marked.left_plain) {
        println!("{warning}");
    }
    let stem = path
        .file_stem()
        .map_or_else(|| "bindings".into(), |s| s.to_string_lossy().into_owned());
    let copy = out_dir.join(format!("{stem}_coffi.rs"));
    write_if_changed(&copy, &marked.text);
    copy
}

/// What [`bridge_bindgen`] does to the text, without the file system: marks
/// the extern blocks of `text` (bindgen's output, named `name` in errors)
/// for coffi with `header`. See [`MarkedBindings`] for an example.
///
/// # Errors
///
/// When `text` is not valid Rust, or `header` is not a valid
/// `header = ".."` value.
pub fn mark_bindgen(name: &str, text: &str, header: &str) -> Result<MarkedBindings, Error> {
    let attr = header_args(header);
    if let Err(e) = coffi_syntax::parse_foreign_options(attr.clone()) {
        let message = e.to_string();
        return Err(Error::new(vec![Diagnostic {
            file: name.to_owned(),
            line: 1,
            column: 1,
            message: format!(
                "the header {:?} given to coffi_build::bridge_bindgen is not a valid \
                 `header = \"..\"`: {message}",
                header
            ),
        }]));
    }
    let file = syn::parse_file(text).map_err(|e| {
        let start = e.span().start();
        Error::new(vec![Diagnostic {
            file: name.to_owned(),
            line: start.line,
            column: start.column + 1,
            message: format!(
                "Rust syntax error: {e}\nhelp: pass the file bindgen wrote (`Bindings::write_to_file`), \
                 unchanged"
            ),
        }])
    })?;
    let mut marker = Marker {
        text,
        attr,
        attr_text: format!(
            "#[coffi::foreign_call(header = {})]",
            Literal::string(header)
        ),
        edits: Vec::new(),
        bridged: Vec::new(),
        bridged_types: Vec::new(),
        defs: {
            let mut defs = coffi_syntax::TypeDefs::default();
            defs.add_file(&file, |ident| ident.to_string());
            defs
        },
        left_plain: Vec::new(),
    };
    marker.items(&file.items);
    marker.derive_c_struct(&file);
    marker.edits.sort_by_key(|(range, _)| range.start);
    let mut out = String::with_capacity(text.len() + 64 * marker.edits.len());
    let mut at = 0;
    for (range, replacement) in &marker.edits {
        out.push_str(&text[at..range.start]);
        out.push_str(replacement);
        at = range.end;
    }
    out.push_str(&text[at..]);
    Ok(MarkedBindings {
        text: out,
        bridged: marker.bridged,
        left_plain: marker.left_plain,
    })
}

/// The one `cargo:warning` line naming the functions left plain, if any.
fn left_plain_warning(file: &str, left: &[LeftPlain]) -> Option<String> {
    if left.is_empty() {
        return None;
    }
    let names: Vec<String> = left
        .iter()
        .map(|l| format!("{} (line {}: {})", l.name, l.line, l.reason))
        .collect();
    Some(format!(
        "cargo:warning=coffi-build: {file}: not bridged, left in a plain extern \"C\" block \
         (a coroutine runs them on its own small stack, not on the scheduler stack): {}; \
         call them only where that stack is large enough, leave them out of bindgen's \
         allowlist, or bridge a C wrapper with a fixed prototype",
        names.join(", ")
    ))
}

/// `header = "<header>"`, the arguments of the attribute.
fn header_args(header: &str) -> TokenStream {
    [
        TokenTree::Ident(Ident::new("header", Span::call_site())),
        TokenTree::Punct(Punct::new('=', Spacing::Alone)),
        TokenTree::Literal(Literal::string(header)),
    ]
    .into_iter()
    .collect()
}

struct Marker<'a> {
    text: &'a str,
    attr: TokenStream,
    attr_text: String,
    /// Byte ranges of `text` and their replacements (sorted into file order
    /// before they are applied).
    edits: Vec<(Range<usize>, String)>,
    bridged: Vec<String>,
    /// The signature types of the bridged functions.
    bridged_types: Vec<syn::Type>,
    /// The aliases and structs of the file.
    defs: coffi_syntax::TypeDefs,
    left_plain: Vec<LeftPlain>,
}

impl Marker<'_> {
    /// Adds `#[derive(coffi::CStruct)]` to each struct of the file that a
    /// bridged function takes or returns by value (and to the structs those
    /// hold by value), as the Rust side of a by-value struct needs.
    fn derive_c_struct(&mut self, file: &syn::File) {
        let mut wanted: Vec<String> = Vec::new();
        for ty in &self.bridged_types {
            for name in self.defs.structs_within(ty) {
                if !wanted.contains(&name) {
                    wanted.push(name);
                }
            }
        }
        let mut structs = Vec::new();
        collect_structs(&file.items, &mut structs);
        for st in structs {
            let derives_already = st.attrs.iter().any(derives_c_struct);
            if wanted.contains(&st.ident.to_string()) && !derives_already {
                let start = st.span().byte_range().start;
                let line_start = self.text[..start].rfind('\n').map_or(0, |i| i + 1);
                let indent = &self.text[line_start..start];
                let indent = if indent.trim().is_empty() { indent } else { "" };
                self.edits
                    .push((start..start, format!("#[derive(coffi::CStruct)]\n{indent}")));
            }
        }
    }

    fn items(&mut self, items: &[Item]) {
        for item in items {
            match item {
                Item::ForeignMod(block) => self.block(block),
                // bindgen's `--enable-cxx-namespaces` nests modules.
                Item::Mod(m) => {
                    if let Some((_, inner)) = &m.content {
                        self.items(inner);
                    }
                }
                _ => {}
            }
        }
    }

    fn block(&mut self, block: &ItemForeignMod) {
        let abi_ok = block
            .abi
            .name
            .as_ref()
            .is_none_or(|n| matches!(n.value().as_str(), "C" | "C-unwind"));
        let marked_already = block.attrs.iter().any(|a| {
            a.path()
                .segments
                .last()
                .is_some_and(|s| s.ident == "foreign_call" || s.ident == "export_callback")
        });
        if !abi_ok || marked_already {
            return;
        }
        let mut bridged = Vec::new();
        let mut plain = Vec::new();
        for item in &block.items {
            match item {
                ForeignItem::Fn(f) => match self.check(block, item) {
                    Ok(()) => {
                        self.bridged.push(f.sig.ident.to_string());
                        self.bridged_types.extend(signature_types(&f.sig));
                        bridged.push(item);
                    }
                    Err(reason) => {
                        self.left_plain.push(LeftPlain {
                            name: f.sig.ident.to_string(),
                            reason,
                            line: f.sig.ident.span().start().line,
                        });
                        plain.push(item);
                    }
                },
                _ => plain.push(item),
            }
        }
        if bridged.is_empty() {
            return;
        }
        let range = block.span().byte_range();
        let head = &self.text[range.start..block.brace_token.span.open().byte_range().start];
        // The indentation of a block nested in a module, kept on every line.
        let line_start = self.text[..range.start].rfind('\n').map_or(0, |i| i + 1);
        let indent = &self.text[line_start..range.start];
        let indent = if indent.trim().is_empty() { indent } else { "" };
        let mut new = format!(
            "{}\n{indent}{}",
            self.attr_text,
            self.block_text(indent, head, &bridged)
        );
        if !plain.is_empty() {
            new.push('\n');
            new.push_str(indent);
            new.push_str(&self.block_text(indent, head, &plain));
        }
        self.edits.push((range, new));
    }

    /// Whether coffi can bridge `item` alone, with the block's ABI and the
    /// header; otherwise why not.
    fn check(&self, block: &ItemForeignMod, item: &ForeignItem) -> Result<(), String> {
        if matches!(item, ForeignItem::Fn(f) if f.sig.variadic.is_some()) {
            return Err("variadic".to_owned());
        }
        let alone = ItemForeignMod {
            attrs: Vec::new(),
            unsafety: block.unsafety,
            abi: block.abi.clone(),
            brace_token: block.brace_token,
            items: vec![item.clone()],
        };
        coffi_syntax::parse_foreign_block(self.attr.clone(), alone).map_err(|e| {
            let message = e.into_iter().next().map(|e| e.to_string());
            message
                .as_deref()
                .and_then(|m| m.lines().next())
                .unwrap_or("rejected by coffi")
                .to_owned()
        })?;
        // A struct it takes or returns by value must be one coffi can
        // derive `CStruct` for (bindgen also writes packed structs, bitfield
        // units and unions).
        if let ForeignItem::Fn(f) = item {
            for ty in signature_types(&f.sig) {
                if let Some(problem) = self.defs.by_value_problem(&ty) {
                    return Err(problem);
                }
            }
        }
        Ok(())
    }

    /// `head { items }`, one item a line as bindgen wrote it, the lines
    /// after the first starting with `indent`.
    fn block_text(&self, indent: &str, head: &str, items: &[&ForeignItem]) -> String {
        let mut out = format!("{head}{{\n");
        for item in items {
            out.push_str(indent);
            out.push_str("    ");
            out.push_str(&self.text[item.span().byte_range()]);
            out.push('\n');
        }
        out.push_str(indent);
        out.push('}');
        out
    }
}

/// The parameter and return types of a signature.
fn signature_types(sig: &syn::Signature) -> Vec<syn::Type> {
    let params = sig.inputs.iter().filter_map(|arg| match arg {
        syn::FnArg::Typed(t) => Some((*t.ty).clone()),
        syn::FnArg::Receiver(_) => None,
    });
    let ret = match &sig.output {
        syn::ReturnType::Type(_, ty) => Some((**ty).clone()),
        syn::ReturnType::Default => None,
    };
    params.chain(ret).collect()
}

/// Every struct of `items`, also in inline modules.
fn collect_structs<'a>(items: &'a [Item], out: &mut Vec<&'a syn::ItemStruct>) {
    for item in items {
        match item {
            Item::Struct(st) => out.push(st),
            Item::Mod(m) => {
                if let Some((_, inner)) = &m.content {
                    collect_structs(inner, out);
                }
            }
            _ => {}
        }
    }
}

/// Whether `attr` is a `#[derive(..)]` naming `CStruct`.
fn derives_c_struct(attr: &syn::Attribute) -> bool {
    attr.path().is_ident("derive")
        && attr
            .parse_args_with(
                syn::punctuated::Punctuated::<syn::Path, syn::Token![,]>::parse_terminated,
            )
            .is_ok_and(|paths| {
                paths
                    .iter()
                    .any(|p| p.segments.last().is_some_and(|s| s.ident == "CStruct"))
            })
}

fn env_dir(var: &str) -> PathBuf {
    match std::env::var_os(var) {
        Some(dir) => PathBuf::from(dir),
        None => {
            panic!("coffi_build::bridge_bindgen must run in a build script (`{var}` is not set)")
        }
    }
}

/// Writes `text` unless the file already holds it, so nothing rebuilds for
/// nothing.
fn write_if_changed(path: &Path, text: &str) {
    if std::fs::read_to_string(path).is_ok_and(|old| old == text) {
        return;
    }
    std::fs::write(path, text).unwrap_or_else(|e| {
        panic!(
            "coffi_build::bridge_bindgen: cannot write `{}`: {e}",
            path.display()
        )
    });
}
