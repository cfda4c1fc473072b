//! `bridge` follows `mod name;` as rustc does and evaluates `#[cfg]` from
//! Cargo's variables, as a build script runs it. One test in this file: it
//! sets the process environment.

mod common;

use std::path::Path;

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

#[test]
fn modules_are_followed_and_disabled_items_get_no_shim() {
    let root = Path::new(env!("CARGO_TARGET_TMPDIR")).join("coffi-build-modules");
    let _ = std::fs::remove_dir_all(&root);
    let (manifest, out) = (root.join("crate"), root.join("out"));
    std::fs::create_dir_all(&out).unwrap();
    // src/ffi.rs is not a mod-rs file: its modules are in src/ffi/.
    write(
        &manifest.join("src/ffi.rs"),
        "mod sys;\n\
         #[path = \"generated/bindings.rs\"] mod bindings;\n\
         #[cfg(windows)] mod windows_only;\n\
         mod inline { mod nested; }\n",
    );
    write(
        &manifest.join("src/ffi/sys.rs"),
        "pub type len_t = usize;\n\
         #[coffi::foreign_call]\n\
         unsafe extern \"C\" {\n\
             pub fn from_sys(n: len_t) -> len_t;\n\
             #[cfg(target_os = \"macos\")] pub fn macos_only();\n\
             #[cfg(all(unix, feature = \"extra\"))] pub fn with_extra();\n\
             #[cfg(feature = \"missing\")] pub fn without_missing();\n\
         }\n",
    );
    write(
        &manifest.join("src/generated/bindings.rs"),
        "mod deeper;\n\
         #[coffi::foreign_call] unsafe extern \"C\" { pub fn from_path_attr(n: len_t); }\n",
    );
    // A file loaded through `#[path]` has its modules beside it.
    write(
        &manifest.join("src/generated/deeper.rs"),
        "#[coffi::foreign_call] unsafe extern \"C\" { pub fn from_deeper(); }\n",
    );
    write(
        &manifest.join("src/ffi/windows_only.rs"),
        "#[coffi::foreign_call] unsafe extern \"C\" { pub fn never_read(); }\n",
    );
    write(
        &manifest.join("src/ffi/inline/nested/mod.rs"),
        "#[coffi::foreign_call] unsafe extern \"C\" { pub fn from_nested(); }\n",
    );
    common::pretend_build_script(&manifest, &out);
    // SAFETY: this test binary runs this single test.
    unsafe {
        std::env::set_var("CARGO_CFG_TARGET_OS", "linux");
        std::env::set_var("CARGO_CFG_UNIX", "");
        std::env::set_var("CARGO_FEATURE_EXTRA", "1");
    }
    let mut build = coffi_build::bridge("src/ffi.rs");
    build.cargo_metadata(false);
    let shims = std::fs::read_dir(&out)
        .unwrap()
        .filter_map(|e| e.ok())
        .find(|e| e.file_name().to_string_lossy().starts_with("coffi_shims_"))
        .map(|e| std::fs::read_to_string(e.path()).unwrap())
        .expect("a shim file");
    for bridged in [
        "size_t from_sys(size_t);",
        "void from_path_attr(size_t);",
        "void from_deeper(void);",
        "void from_nested(void);",
        "void with_extra(void);",
    ] {
        assert!(shims.contains(bridged), "{bridged} missing from:\n{shims}");
    }
    for disabled in ["macos_only", "without_missing", "never_read"] {
        assert!(!shims.contains(disabled), "{disabled} in:\n{shims}");
    }
    // The shims compile, and name their Rust lines.
    assert!(shims.contains("#line 4 \"src/ffi/sys.rs\""), "{shims}");
    build
        .warnings_into_errors(true)
        .try_compile("modules")
        .unwrap_or_else(|e| panic!("{e}"));
}
