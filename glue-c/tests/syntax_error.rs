//! `bridges` leaves a file that is not valid Rust out (with a
//! `cargo:warning`) instead of failing the build script, so that rustc
//! gets to report the syntax error itself. One test in this file: it sets
//! the process environment.

mod common;

use std::path::Path;

#[test]
fn a_file_that_does_not_parse_is_skipped_and_the_others_are_bridged() {
    let root = Path::new(env!("CARGO_TARGET_TMPDIR")).join("coffi-build-syntax-error");
    let _ = std::fs::remove_dir_all(&root);
    let (manifest, out) = (root.join("crate"), root.join("out"));
    std::fs::create_dir_all(manifest.join("src")).unwrap();
    std::fs::create_dir_all(&out).unwrap();
    std::fs::write(
        manifest.join("src/broken.rs"),
        "#[coffi::foreign_call]\n\
         unsafe extern \"C\" { pub fn lost(a: i32) -> i32; }\n\
         fn oops() { let x = ; }\n",
    )
    .unwrap();
    std::fs::write(
        manifest.join("src/fine.rs"),
        "#[coffi::foreign_call]\n\
         unsafe extern \"C\" { pub fn kept(a: i32) -> i32; }\n",
    )
    .unwrap();
    common::pretend_build_script(&manifest, &out);
    let result =
        std::panic::catch_unwind(|| coffi_build::bridges(["src/broken.rs", "src/fine.rs"]));
    assert!(
        result.is_ok(),
        "a syntax error must not fail the build script"
    );
    let shims: Vec<_> = std::fs::read_dir(&out)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().starts_with("coffi_shims_"))
        .collect();
    assert_eq!(shims.len(), 1);
    let text = std::fs::read_to_string(shims[0].path()).unwrap();
    assert!(text.contains("__coffi_shim_kept_"), "{text}");
    assert!(!text.contains("__coffi_shim_lost_"), "{text}");
}
