//! Bridges the `pass/` cases exactly as an application's build script
//! would, so that trybuild links and runs them: each case names
//! `coffi_ui_tests`, whose library carries the shims and `c/mini.c`.
//! The `ui/` cases are not bridged: they are meant not to compile.

use std::path::Path;

fn main() {
    let manifest = std::env::var("CARGO_MANIFEST_DIR").expect("run by cargo");
    let mut cases: Vec<String> = std::fs::read_dir(Path::new(&manifest).join("pass"))
        .expect("ui-tests/pass exists")
        .filter_map(|entry| entry.ok())
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".rs"))
        .map(|name| format!("pass/{name}"))
        .collect();
    cases.sort();
    coffi_build::bridges(&cases)
        .file("c/mini.c")
        .warnings(true)
        .extra_warnings(true)
        .compile("coffi_ui_pass");
    println!("cargo:rerun-if-changed=pass");
    println!("cargo:rerun-if-changed=c");
}
