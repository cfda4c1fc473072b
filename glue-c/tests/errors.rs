//! Misuse fails the build script with the macro's own words, located.

use coffi_build::{generate, generate_sources};

#[test]
fn same_message_as_the_model() {
    let src = "use core::ffi::c_int;\n\
               #[coffi::foreign_call]\n\
               unsafe extern \"C\" {\n    pub fn greet(name: String) -> c_int;\n}\n";
    let err = generate(src).unwrap_err();
    let block: syn::Item =
        syn::parse_str("unsafe extern \"C\" {\n    pub fn greet(name: String) -> c_int;\n}")
            .unwrap();
    let model_err = coffi_syntax::parse_foreign_call(Default::default(), block).unwrap_err();
    let d = &err.diagnostics()[0];
    assert_eq!(d.message, model_err.to_string());
    assert_eq!((d.file.as_str(), d.line, d.column), ("<source>", 4, 24));
    assert_eq!(
        err.to_string(),
        format!("<source>:4:24: error: {model_err}")
    );
}

#[test]
fn every_error_of_every_file_is_reported() {
    let a = "#[coffi::export_callback(stak = 1)]\nextern \"C\" fn cb() {}\n";
    let b = "#[foreign_call]\nunsafe extern \"C\" { fn f(x: char); fn g(v: Vec<u8>); }\n";
    let err = generate_sources([("src/a.rs", a), ("src/b.rs", b)]).unwrap_err();
    let at: Vec<_> = err
        .diagnostics()
        .iter()
        .map(|d| (d.file.as_str(), d.line, d.column))
        .collect();
    assert_eq!(
        at,
        [
            ("src/a.rs", 1, 26),
            ("src/b.rs", 2, 29),
            ("src/b.rs", 2, 44)
        ]
    );
    let text = err.to_string();
    assert!(text.contains("src/a.rs:1:26: error: unknown option `stak` for `#[export_callback]`\nhelp: did you mean `stack`?"), "{text}");
}

#[test]
fn syntax_errors_are_located_too() {
    let err = generate("fn broken( {").unwrap_err();
    assert_eq!(err.diagnostics().len(), 1);
    assert_eq!(err.diagnostics()[0].line, 1);
}

#[test]
fn unbalanced_delimiters_say_where_and_leave_the_details_to_rustc() {
    let src = "use core::ffi::c_int;\n\nfn broken() { ) }\n";
    let err = generate_sources([("src/ffi.rs", src)]).unwrap_err();
    let d = &err.diagnostics()[0];
    assert_eq!((d.file.as_str(), d.line, d.column), ("src/ffi.rs", 3, 15));
    assert!(
        d.message.starts_with("Rust syntax error: "),
        "{}",
        d.message
    );
    assert!(
        d.message.contains("rustc shows the syntax error"),
        "{}",
        d.message
    );
    assert!(
        !d.message.contains("cannot parse string into token stream"),
        "{}",
        d.message
    );
}

#[test]
fn callbacks_exported_twice() {
    let a = "#[coffi::export_callback] extern \"C\" fn cb() {}";
    let b = "#[coffi::export_callback] #[unsafe(export_name = \"cb\")] extern \"C\" fn other() {}";
    let err = generate_sources([("a.rs", a), ("b.rs", b)]).unwrap_err();
    assert!(
        err.to_string()
            .contains("the C symbol `cb` is exported twice (first at a.rs:1:41)"),
        "{err}"
    );
}

#[test]
fn nothing_annotated_is_fine() {
    let out = generate("fn main() {}").unwrap();
    assert!(out.shims_c.contains("#include \"coffi.h\""));
    assert!(out.export_h.contains("#define COFFI_EXPORT_H"));
    assert!(out.headers.is_empty());
}

#[test]
fn the_same_c_function_declared_compatibly_twice_gets_two_shims() {
    let src = r#"
        #[coffi::foreign_call]
        unsafe extern "C" { fn strtol_like(x: core::ffi::c_int) -> core::ffi::c_long; }
        #[coffi::foreign_call(errno)]
        unsafe extern "C" { fn strtol_like(x: core::ffi::c_int) -> core::ffi::c_long; }
        #[coffi::foreign_call(header = "lib.h")]
        unsafe extern "C" { fn strtol_like(x: core::ffi::c_int) -> core::ffi::c_long; }
    "#;
    let out = coffi_build::generate(src).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        out.shims_c
            .matches("void __coffi_shim_strtol_like_")
            .count()
            / 2,
        3
    );
}

#[test]
fn different_prototypes_of_one_c_function_are_an_error_naming_both() {
    let src = r#"
        #[coffi::foreign_call]
        unsafe extern "C" { fn f(x: core::ffi::c_int) -> core::ffi::c_int; }
        #[coffi::foreign_call(header = "lib.h")]
        unsafe extern "C" { fn f(x: core::ffi::c_long) -> core::ffi::c_int; }
    "#;
    let err = coffi_build::generate(src).unwrap_err().to_string();
    assert!(
        err.contains("`f` is declared twice with different C signatures: `int f(int)`"),
        "{err}"
    );
    assert!(err.contains("`int f(long)` here"), "{err}");
}
