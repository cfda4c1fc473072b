//! The build-script entry points: files in, `cc::Build` out.

use crate::cfg::CfgEnv;
use crate::error::Diagnostic;
use crate::generate::generate_parsed;
use crate::headers::{COFFI_H, ExportedCallback, export_h};
use crate::modules::{declared_modules, owns_dir};
use crate::source::{SourceFile, parse};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// Bridges one Rust source file: see [`bridges`].
///
/// ```no_run
/// // build.rs
/// fn main() {
///     coffi_build::bridge("src/ffi.rs").file("csrc/lib.c").compile("myffi");
/// }
/// ```
pub fn bridge(path: impl AsRef<Path>) -> cc::Build {
    bridges([path])
}

/// Bridges Rust source files (paths relative to the crate's
/// `CARGO_MANIFEST_DIR`): finds their `#[foreign_call]` and
/// `#[export_callback]` items, writes into `OUT_DIR` a C file of all shims
/// and `coffi-include/{coffi.h, coffi_export.h}`, and returns a
/// [`cc::Build`] with the shim file added and `coffi-include` on the include
/// path (plus the manifest directory when a `header = "..."` is relative to
/// it). Add your own C files and compile:
///
/// ```no_run
/// // build.rs
/// fn main() {
///     coffi_build::bridges(["src/ffi.rs", "src/callbacks.rs"])
///         .file("csrc/lib.c") // may `#include "coffi_export.h"`
///         .compile("myffi");
/// }
/// ```
///
/// The files' `mod name;` declarations are followed as rustc follows them
/// (`name.rs`, `name/mod.rs`, `#[path = ".."]`), and `#[cfg(..)]` on items
/// is evaluated for the crate being built (Cargo's `CARGO_CFG_*` and
/// `CARGO_FEATURE_*`): a disabled item gets no shim, a disabled module is
/// not read. `type` aliases defined in any of the files resolve to the C
/// types they name.
///
/// Prints `cargo:rerun-if-changed` for every file read and local header.
/// `coffi_export.h` holds the callbacks of every file bridged so far by this
/// build script.
///
/// # Panics
///
/// Outside a build script (no `CARGO_MANIFEST_DIR` or `OUT_DIR`), when a
/// file cannot be read or the output cannot be written, and when a file
/// misuses the attributes: then the messages (the macro's own words, with
/// `file:line:column`) are printed and the build fails. A file that is not
/// valid Rust is not a panic: it gets a `cargo:warning` naming the place and
/// no shims, and rustc then reports the syntax error itself.
pub fn bridges(paths: impl IntoIterator<Item = impl AsRef<Path>>) -> cc::Build {
    let manifest_dir = env_dir("CARGO_MANIFEST_DIR");
    let out_dir = env_dir("OUT_DIR");
    let cfg = CfgEnv::from_env();
    let roots: Vec<PathBuf> = paths.into_iter().map(|p| p.as_ref().to_owned()).collect();
    let loaded = load_files(&manifest_dir, &roots, &cfg);
    // A file that is not valid Rust is left out with a warning instead of
    // failing the build here: cargo runs the build script before rustc, so
    // failing would hide rustc's own report of the syntax error (with its
    // source snippet and suggestions) behind ours. Rustc then fails on the
    // file; if it does not compile that file, the missing shims fail the
    // link naming `coffi_build_bridge_missing_for__..`, and the warning says
    // why.
    let generated = generate_parsed(loaded.files, loaded.skipped).unwrap_or_else(|e| {
        eprintln!("{e}");
        panic!("coffi_build::bridge: the bridged files misuse coffi's attributes:\n{e}");
    });
    for d in &generated.skipped {
        println!("{}", skipped_warning(d));
    }

    let include_dir = out_dir.join("coffi-include");
    write(&include_dir.join("coffi.h"), COFFI_H);
    write(
        &include_dir.join("coffi_export.h"),
        &export_h(&remember(&generated.callbacks)),
    );
    let names: Vec<String> = roots.iter().map(|p| p.display().to_string()).collect();
    let id = coffi_syntax::fnv1a64(names.join("\n").as_bytes());
    let shim_file = out_dir.join(format!("coffi_shims_{id:016x}.c"));
    write(&shim_file, &generated.shims_c);

    let mut build = cc::Build::new();
    build.file(&shim_file).include(&include_dir);
    let local: Vec<_> = generated.headers.iter().filter(|h| !h.system).collect();
    if !local.is_empty() {
        build.include(&manifest_dir);
    }
    for h in local {
        let full = manifest_dir.join(&h.path);
        if full.exists() {
            println!("cargo:rerun-if-changed={}", full.display());
        }
    }
    build
}

/// The bridged files and the modules they declare, parsed.
struct Loaded {
    files: Vec<SourceFile>,
    skipped: Vec<Diagnostic>,
}

/// Reads and parses `roots` (relative to `manifest_dir`, or absolute), and
/// every file their `mod name;` declarations name, as rustc would, after
/// `#[cfg]` is applied (a disabled module is not read). Prints
/// `cargo:rerun-if-changed` for each file read. A declared module whose
/// file is missing is left to rustc, which reports it.
fn load_files(manifest_dir: &Path, roots: &[PathBuf], cfg: &CfgEnv) -> Loaded {
    let mut loaded = Loaded {
        files: Vec::new(),
        skipped: Vec::new(),
    };
    let mut seen: BTreeSet<PathBuf> = BTreeSet::new();
    let mut queue: Vec<(PathBuf, bool)> = roots.iter().map(|p| (p.clone(), owns_dir(p))).collect();
    queue.reverse();
    while let Some((path, owns)) = queue.pop() {
        let full = manifest_dir.join(&path);
        if !seen.insert(full.canonicalize().unwrap_or_else(|_| full.clone())) {
            continue;
        }
        println!("cargo:rerun-if-changed={}", full.display());
        let text = std::fs::read_to_string(&full).unwrap_or_else(|e| {
            panic!(
                "coffi_build::bridge: cannot read `{}` (paths are relative to {}): {e}",
                path.display(),
                manifest_dir.display()
            )
        });
        match parse(&path.display().to_string(), &text, cfg) {
            Ok(file) => {
                let mut children: Vec<(PathBuf, bool)> = Vec::new();
                for m in declared_modules(&path, owns, &file.file) {
                    match m.candidates.iter().find(|c| manifest_dir.join(c).is_file()) {
                        Some(found) => {
                            children.push((found.clone(), m.owns_dir || owns_dir(found)));
                        }
                        None => println!("{}", missing_module_warning(&path, &m.candidates)),
                    }
                }
                children.reverse();
                queue.extend(children);
                loaded.files.push(file);
            }
            Err(d) => loaded.skipped.push(d),
        }
    }
    loaded
}

/// The `cargo:warning` for a `mod name;` whose file is nowhere rustc would
/// look (rustc reports it too, if it compiles that module; the warning says
/// why the module's items then have no shims).
fn missing_module_warning(file: &Path, tried: &[PathBuf]) -> String {
    let tried: Vec<String> = tried.iter().map(|p| p.display().to_string()).collect();
    format!(
        "cargo:warning=coffi-build: {}: a module declared here was not found (tried {}); \
         its #[foreign_call] items get no shims",
        file.display(),
        tried.join(", ")
    )
}

/// The `cargo:warning` for a file left out because it does not parse (one
/// line: cargo shows each warning line on its own).
fn skipped_warning(d: &Diagnostic) -> String {
    let first_line = d.message.lines().next().unwrap_or_default();
    format!(
        "cargo:warning=coffi-build: {}:{}:{}: {first_line}; no shims were generated for this file, \
         and rustc reports the syntax error when it compiles it",
        d.file, d.line, d.column
    )
}

/// Every callback bridged so far by this build script, by C name.
static CALLBACKS: Mutex<BTreeMap<String, ExportedCallback>> = Mutex::new(BTreeMap::new());

fn remember(new: &[ExportedCallback]) -> Vec<ExportedCallback> {
    let mut all = CALLBACKS
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    for cb in new {
        all.insert(cb.c_name.clone(), cb.clone());
    }
    all.values().cloned().collect()
}

fn env_dir(var: &str) -> PathBuf {
    match std::env::var_os(var) {
        Some(dir) => PathBuf::from(dir),
        None => panic!("coffi_build::bridge must run in a build script (`{var}` is not set)"),
    }
}

fn write(path: &Path, text: &str) {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)
            .unwrap_or_else(|e| panic!("coffi_build: cannot create `{}`: {e}", dir.display()));
    }
    // Leave an unchanged file alone, so that nothing rebuilds for nothing.
    if std::fs::read_to_string(path).is_ok_and(|old| old == text) {
        return;
    }
    std::fs::write(path, text)
        .unwrap_or_else(|e| panic!("coffi_build: cannot write `{}`: {e}", path.display()));
}
