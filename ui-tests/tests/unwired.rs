//! A crate that uses `#[foreign_call]` but never calls `coffi_build::bridge`
//! in a build script fails to link, and the undefined symbol names the
//! missing call.

use std::path::Path;
use std::process::Command;

#[test]
fn a_missing_bridge_call_is_a_link_error_naming_it() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the workspace root");
    let project = root.join("target/tests/unwired");
    std::fs::create_dir_all(project.join("src")).expect("create the project");
    let runtime = root.join("runtime");
    std::fs::write(
        project.join("Cargo.toml"),
        format!(
            "[package]\nname = \"unwired\"\nversion = \"0.0.0\"\nedition = \"2024\"\npublish = false\n\n\
             [dependencies]\ncoffi = {{ path = {:?} }}\n\n[workspace]\n",
            runtime.display().to_string()
        ),
    )
    .expect("write Cargo.toml");
    std::fs::write(
        project.join("src/main.rs"),
        "#[coffi::foreign_call]\n\
         unsafe extern \"C\" {\n    safe fn abs(x: core::ffi::c_int) -> core::ffi::c_int;\n}\n\n\
         fn main() {\n    println!(\"{}\", abs(-3));\n}\n",
    )
    .expect("write main.rs");
    // The workspace's lock file pins the same dependencies, so no registry
    // is needed.
    std::fs::copy(root.join("Cargo.lock"), project.join("Cargo.lock")).expect("copy Cargo.lock");

    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = Command::new(cargo)
        .args(["build", "--offline", "--quiet"])
        .current_dir(&project)
        .env("CARGO_TARGET_DIR", root.join("target/tests/unwired-target"))
        .env_remove("RUSTFLAGS")
        .output()
        .expect("run cargo build");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success(),
        "linking without the shims must fail:\n{stderr}"
    );
    assert!(
        stderr.contains("coffi_build_bridge_missing_for__abs_"),
        "the link error must name the missing coffi_build::bridge call:\n{stderr}"
    );
}
