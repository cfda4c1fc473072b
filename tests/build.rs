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
}
