//! `bridges` as a build script runs it: files in `OUT_DIR`, and a
//! `cc::Build` that compiles them with cc's default warnings. One test in
//! this file: it sets the process environment.

mod common;

use std::path::Path;

#[test]
fn bridges_writes_the_files_and_the_build_compiles() {
    let root = Path::new(env!("CARGO_TARGET_TMPDIR")).join("coffi-build-bridge");
    let _ = std::fs::remove_dir_all(&root);
    let (manifest, out) = (root.join("crate"), root.join("out"));
    std::fs::create_dir_all(manifest.join("src")).unwrap();
    std::fs::create_dir_all(manifest.join("include")).unwrap();
    std::fs::create_dir_all(&out).unwrap();
    std::fs::write(
        manifest.join("src/ffi.rs"),
        "use core::ffi::c_int;\n\
         #[coffi::foreign_call(errno)]\n\
         unsafe extern \"C\" { pub fn add(a: c_int, b: c_int) -> c_int; }\n\
         #[coffi::export_callback]\n\
         pub extern \"C\" fn twice(x: c_int) -> c_int { 2 * x }\n",
    )
    .unwrap();
    std::fs::write(
        manifest.join("src/more.rs"),
        "#[coffi::foreign_call(header = \"include/more.h\")]\n\
         unsafe extern \"C\" { pub fn more(x: my_int) -> my_int; }\n",
    )
    .unwrap();
    std::fs::write(
        manifest.join("include/more.h"),
        "typedef long my_int;\nmy_int more(my_int x);\n",
    )
    .unwrap();
    std::fs::write(
        manifest.join("lib.c"),
        "#include \"coffi_export.h\"\nint add(int a, int b) { return twice(a) + b; }\n",
    )
    .unwrap();
    common::pretend_build_script(&manifest, &out);
    let mut build = coffi_build::bridges(["src/ffi.rs", "src/more.rs"]);
    build
        .file(manifest.join("lib.c"))
        .warnings_into_errors(true)
        .cargo_metadata(false);
    build
        .try_compile("bridged")
        .unwrap_or_else(|e| panic!("{e}"));

    let coffi_h = std::fs::read_to_string(out.join("coffi-include/coffi.h")).unwrap();
    assert!(coffi_h.contains("uintptr_t coffi_topofstack(void);"));
    let export_h = std::fs::read_to_string(out.join("coffi-include/coffi_export.h")).unwrap();
    assert!(export_h.contains("int twice(int);"), "{export_h}");
    let shims: Vec<_> = std::fs::read_dir(&out)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().starts_with("coffi_shims_"))
        .collect();
    assert_eq!(shims.len(), 1);
    let text = std::fs::read_to_string(shims[0].path()).unwrap();
    assert!(text.contains("#include \"include/more.h\""));
    assert!(text.contains("errno = 0;"));
    assert!(out.join("libbridged.a").exists());
}
