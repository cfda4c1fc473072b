//! The build script and `blocking` / `on_panic`: it accepts them exactly
//! as the macro does, and the C it writes does not depend on them.

use coffi_build::generate;

const PLAIN: &str = "use core::ffi::{c_int, c_uint};\n\
    #[coffi::foreign_call(errno)]\n\
    unsafe extern \"C\" { pub fn usleep(us: c_uint) -> c_int; }\n\
    #[coffi::export_callback(stack = 65536)]\n\
    extern \"C\" fn on_row(n: c_int) -> c_int { n }\n";

#[test]
fn blocking_and_on_panic_leave_the_c_unchanged() {
    let plain = generate(PLAIN).unwrap();
    let with = PLAIN.replace("(errno)", "(errno, blocking)").replace(
        "(stack = 65536)",
        "(on_panic = i32::MIN + 1, stack = 65536)",
    );
    let options = generate(&with).unwrap();
    assert_eq!(options.shims_c, plain.shims_c, "same shim, same symbol");
    assert_eq!(options.export_h, plain.export_h);
    assert!(plain.export_h.contains("int on_row(int);"));
}

#[test]
fn a_blocking_and_an_ordinary_declaration_share_one_shim() {
    let src = "use core::ffi::c_int;\n\
        #[coffi::foreign_call(blocking)]\n\
        unsafe extern \"C\" { pub fn work(x: c_int) -> c_int; }\n\
        #[coffi::foreign_call]\n\
        unsafe extern \"C\" { #[link_name = \"work\"] pub fn work_here(x: c_int) -> c_int; }\n";
    let out = generate(src).unwrap();
    assert_eq!(out.shims_c.matches("int work(int);").count(), 1);
    assert_eq!(
        out.shims_c
            .matches("const char coffi_build_bridge_missing_for__work_")
            .count(),
        1,
        "{}",
        out.shims_c
    );
}

#[test]
fn the_value_of_on_panic_is_the_compilers_to_check() {
    // A wrong type is rustc's error at the expression (E0308): the build
    // script accepts what parses.
    let src = PLAIN.replace("(stack = 65536)", "(on_panic = \"x\")");
    assert!(generate(&src).is_ok());
}

#[test]
fn misuse_is_reported_in_the_macros_words() {
    for (attr, words) in [
        ("(blocking = 1)", "`blocking` takes no value"),
        ("(blocking, errno, blocking)", "duplicate option `blocking`"),
        ("(blockng)", "did you mean `blocking`?"),
    ] {
        let src = PLAIN.replace("(errno)", attr);
        let err = generate(&src).unwrap_err();
        assert!(err.to_string().contains(words), "{attr}: {err}");
    }
    for (attr, words) in [
        ("(on_panic)", "`on_panic` takes the value C gets"),
        (
            "(on_panic = 1, on_panic = 2)",
            "duplicate option `on_panic`",
        ),
    ] {
        let src = PLAIN.replace("(stack = 65536)", attr);
        let err = generate(&src).unwrap_err();
        assert!(err.to_string().contains(words), "{attr}: {err}");
    }
    let src = "#[coffi::export_callback(on_panic = 0)]\nextern \"C\" fn done() {}\n";
    let err = generate(src).unwrap_err();
    assert!(err.to_string().contains("`done` returns nothing"), "{err}");
}
