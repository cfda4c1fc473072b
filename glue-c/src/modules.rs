//! `mod name;` in a bridged file: the file rustc reads for it.
//!
//! rustc's rules: in `lib.rs`, `main.rs` and `mod.rs` (and a file loaded
//! through `#[path]`), `mod b;` is `b.rs` or `b/mod.rs` beside it; in any
//! other file `a.rs`, it is `a/b.rs` or `a/b/mod.rs`. An inline
//! `mod m { .. }` adds `m/` to the directory. `#[path = ".."]` on the
//! declaration names the file itself, relative to the file's directory
//! (inside inline modules, to the directory they give). A bridged file
//! other than those three that is in fact a crate root (`src/bin/x.rs`,
//! `tests/t.rs`) has its modules beside it: that layout is tried when
//! rustc's is absent.

use std::path::{Path, PathBuf};
use syn::{Attribute, Expr, ExprLit, Item, Lit, Meta};

/// A `mod name;` to read, with where rustc looks for it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ModFile {
    /// The candidates, in order; the first that exists is the module.
    pub(crate) candidates: Vec<PathBuf>,
    /// Whether the module's own `mod` declarations resolve beside it
    /// (`mod.rs`, or loaded through `#[path]`).
    pub(crate) owns_dir: bool,
}

/// Whether the file at `path` holds its modules beside it.
pub(crate) fn owns_dir(path: &Path) -> bool {
    matches!(
        path.file_name().and_then(|n| n.to_str()),
        Some("lib.rs" | "main.rs" | "mod.rs")
    )
}

/// The `mod name;` declarations of `file` (at `path`; `owns_dir` as
/// [`owns_dir`] says, or true for a file loaded through `#[path]`).
pub(crate) fn declared_modules(path: &Path, owns_dir: bool, file: &syn::File) -> Vec<ModFile> {
    let here = path.parent().unwrap_or(Path::new("")).to_path_buf();
    let stem = path
        .file_stem()
        .map(|s| here.join(s))
        .unwrap_or_else(|| here.clone());
    let mut out = Vec::new();
    let dirs = if owns_dir {
        vec![here.clone()]
    } else {
        // rustc's layout first, then the crate-root one.
        vec![stem, here.clone()]
    };
    walk(&file.items, &here, &dirs, true, &mut out);
    out
}

/// `dirs`: where `mod b;` looks (in order); `path_base`: what `#[path]`
/// is relative to; `top`: not inside an inline module.
fn walk(items: &[Item], path_base: &Path, dirs: &[PathBuf], top: bool, out: &mut Vec<ModFile>) {
    for item in items {
        let Item::Mod(m) = item else { continue };
        let name = syn::ext::IdentExt::unraw(&m.ident).to_string();
        let explicit = path_attr(&m.attrs);
        match &m.content {
            None => {
                if let Some(p) = explicit {
                    // Outside inline modules, relative to the file's
                    // directory; inside, to the inline modules' directory.
                    let base = if top { path_base } else { &dirs[0] };
                    out.push(ModFile {
                        candidates: vec![base.join(p)],
                        owns_dir: true,
                    });
                } else {
                    let candidates = dirs
                        .iter()
                        .flat_map(|d| [d.join(format!("{name}.rs")), d.join(&name).join("mod.rs")])
                        .collect();
                    out.push(ModFile {
                        candidates,
                        owns_dir: false,
                    });
                }
            }
            Some((_, inner)) => {
                let sub = explicit.unwrap_or(name);
                let inner_dirs: Vec<PathBuf> = dirs.iter().map(|d| d.join(&sub)).collect();
                walk(inner, path_base, &inner_dirs, false, out);
            }
        }
    }
}

fn path_attr(attrs: &[Attribute]) -> Option<String> {
    attrs.iter().find_map(|a| match &a.meta {
        Meta::NameValue(nv) if nv.path.is_ident("path") => match &nv.value {
            Expr::Lit(ExprLit {
                lit: Lit::Str(s), ..
            }) => Some(s.value()),
            _ => None,
        },
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mods(path: &str, src: &str) -> Vec<Vec<String>> {
        let file = syn::parse_file(src).unwrap();
        let path = Path::new(path);
        declared_modules(path, owns_dir(path), &file)
            .into_iter()
            .map(|m| {
                m.candidates
                    .iter()
                    .map(|p| p.display().to_string())
                    .collect()
            })
            .collect()
    }

    #[test]
    fn a_crate_root_or_mod_rs_has_its_modules_beside_it() {
        assert_eq!(
            mods("src/lib.rs", "mod sys;"),
            [["src/sys.rs", "src/sys/mod.rs"]]
        );
        assert_eq!(
            mods("src/ffi/mod.rs", "mod sys;"),
            [["src/ffi/sys.rs", "src/ffi/sys/mod.rs"]]
        );
    }

    #[test]
    fn another_file_has_them_in_its_own_directory_first() {
        assert_eq!(
            mods("src/ffi.rs", "mod sys;"),
            [[
                "src/ffi/sys.rs",
                "src/ffi/sys/mod.rs",
                "src/sys.rs",
                "src/sys/mod.rs"
            ]]
        );
    }

    #[test]
    fn inline_modules_and_path_attributes() {
        assert_eq!(
            mods("src/lib.rs", "mod outer { mod inner; }"),
            [["src/outer/inner.rs", "src/outer/inner/mod.rs"]]
        );
        assert_eq!(
            mods("src/ffi.rs", "#[path = \"gen/bindings.rs\"] mod sys;"),
            [["src/gen/bindings.rs"]]
        );
        assert_eq!(
            mods("src/lib.rs", "mod outer { #[path = \"x.rs\"] mod inner; }"),
            [["src/outer/x.rs"]]
        );
    }
}
