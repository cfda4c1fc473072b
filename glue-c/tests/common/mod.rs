//! What the bridge tests share.

use std::path::Path;

/// Sets the environment Cargo gives a build script, for a crate at
/// `manifest` building into `out`, so `coffi_build` can run in a test.
///
/// Only for a test binary that runs a single test: the environment is
/// process-wide.
pub fn pretend_build_script(manifest: &Path, out: &Path) {
    let target = format!("{}-unknown-linux-gnu", std::env::consts::ARCH);
    // SAFETY: the caller's test binary runs this single test; no other
    // thread reads the environment meanwhile.
    unsafe {
        std::env::set_var("CARGO_MANIFEST_DIR", manifest);
        std::env::set_var("OUT_DIR", out);
        std::env::set_var("TARGET", &target);
        std::env::set_var("HOST", &target);
        std::env::set_var("OPT_LEVEL", "0");
        std::env::set_var("DEBUG", "false");
    }
}
