//! `bridge_bindgen` as a build script runs it, on the real zlib bindings:
//! the marked copy lands in `OUT_DIR`, `bridge` takes its absolute path, and
//! the shims compile against the system's zlib.h with warnings as errors.
//! One test in this file: it sets the process environment.

mod common;

use std::path::Path;

#[test]
fn bridge_bindgen_writes_a_copy_that_bridge_compiles_against_zlib_h() {
    let root = Path::new(env!("CARGO_TARGET_TMPDIR")).join("coffi-build-bindgen");
    let _ = std::fs::remove_dir_all(&root);
    let (manifest, out) = (root.join("crate"), root.join("out"));
    std::fs::create_dir_all(manifest.join("gen")).unwrap();
    std::fs::create_dir_all(&out).unwrap();
    let zlib = include_str!("bindgen/zlib_bindings.rs");
    // Where bindgen's `write_to_file(out_dir.join("bindings.rs"))` puts it.
    std::fs::write(out.join("bindings.rs"), zlib).unwrap();
    common::pretend_build_script(&manifest, &out);

    let copy = coffi_build::bridge_bindgen(out.join("bindings.rs"), "<zlib.h>");
    assert_eq!(copy, out.join("bindings_coffi.rs"));
    let text = std::fs::read_to_string(&copy).unwrap();
    let want = coffi_build::mark_bindgen("bindings.rs", zlib, "<zlib.h>").unwrap();
    assert_eq!(text, want.text);

    // An absolute path: `bridge` must not put the manifest directory before it.
    assert!(copy.is_absolute());
    let mut build = coffi_build::bridge(&copy);
    build.warnings_into_errors(true).cargo_metadata(false);
    build
        .try_compile("zlibshims")
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(out.join("libzlibshims.a").exists());

    // Unchanged input: the copy is not rewritten, so nothing downstream
    // rebuilds.
    let before = std::fs::metadata(&copy).unwrap().modified().unwrap();
    std::thread::sleep(std::time::Duration::from_millis(20));
    coffi_build::bridge_bindgen(out.join("bindings.rs"), "<zlib.h>");
    assert_eq!(
        std::fs::metadata(&copy).unwrap().modified().unwrap(),
        before
    );

    // A path relative to the manifest directory (bindings checked in).
    std::fs::write(manifest.join("gen/zlib.rs"), zlib).unwrap();
    let copy = coffi_build::bridge_bindgen("gen/zlib.rs", "<zlib.h>");
    assert_eq!(copy, out.join("zlib_coffi.rs"));
    assert_eq!(std::fs::read_to_string(&copy).unwrap(), want.text);
}
