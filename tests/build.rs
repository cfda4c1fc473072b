//! Builds the test suite's C exactly as a user's build script would.

fn main() {
    coffi_build::bridge("src/ffi.rs")
        .file("c/seed.c")
        .file("c/nest.c")
        .file("c/threads.c")
        .file("c/errno.c")
        .file("c/hungry.c")
        .file("c/counter.c")
        .file("c/unadjusted.c")
        .file("c/bench.c")
        .file("c/fork.c")
        .file("c/request.c")
        .file("c/blocking.c")
        .warnings(true)
        .extra_warnings(true)
        .compile("coffitests");
    println!("cargo:rerun-if-changed=c");
    println!("cargo:rustc-link-lib=pthread");

    bindgen_zlib();
}

/// The bindgen path: real bindgen output for zlib.h, checked in (see
/// scripts/regen-bindgen.sh), marked for coffi and bridged as a user's
/// `OUT_DIR/bindings.rs` would be; src/zlib.rs includes the marked copy,
/// tests/bindgen_zlib.rs calls it. The warning naming the variadic
/// gzprintf is expected (that test checks it).
fn bindgen_zlib() {
    let marked =
        coffi_build::bridge_bindgen("../glue-c/tests/bindgen/zlib_bindings.rs", "<zlib.h>");
    coffi_build::bridge(&marked)
        .warnings(true)
        .extra_warnings(true)
        .compile("coffizlib");
    println!("cargo:rustc-link-lib=z");
}
