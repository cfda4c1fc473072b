//! Every rejected construct: message text and the token it points at.

mod common;

use common::{assert_error, block, callback, errors, pos_of};

/// `fn f(<param>);` in an unsafe extern block; the error must point at `at`.
fn param_rejected(param: &str, at: &str, words: &[&str]) {
    let src = format!("unsafe extern \"C\" {{\n    fn f({param});\n}}");
    assert_error(block("", &src), &src, at, words);
}

#[test]
fn foreign_call_on_a_non_extern_item() {
    let src = "pub fn add(a: c_int) -> c_int { a }";
    assert_error(
        block("", src),
        src,
        "fn add",
        &[
            "`#[foreign_call]` goes on an `unsafe extern \"C\"",
            "declare the C function in a block",
        ],
    );
    let src = "struct S;";
    assert_error(
        block("", src),
        src,
        "struct",
        &["`#[foreign_call]` goes on"],
    );
    let src = "pub extern \"C\" fn cb() {}";
    assert_error(block("", src), src, "fn cb", &["use `#[export_callback]`"]);
}

#[test]
fn other_abis() {
    let src = "unsafe extern \"system\" { fn f(); }";
    assert_error(
        block("", src),
        src,
        "\"system\"",
        &["ABI \"system\"", "`extern \"C\"` and `extern \"C-unwind\"`"],
    );
    let src = "unsafe extern \"Rust\" { fn f(); }";
    assert_error(block("", src), src, "\"Rust\"", &["not supported"]);
    assert!(block("", "unsafe extern \"C-unwind\" { fn f(); }").is_ok());
    assert!(
        block("", "extern \"C\" { fn f(); }").is_ok(),
        "bindgen's pre-2024 blocks"
    );
}

#[test]
fn statics_types_and_macros_in_the_block() {
    let src = "unsafe extern \"C\" {\n    static counter: c_int;\n}";
    assert_error(
        block("", src),
        src,
        "static",
        &["a static cannot be called", "separate"],
    );
    let src = "unsafe extern \"C\" {\n    type Opaque;\n}";
    assert_error(block("", src), src, "type", &["foreign types"]);
    let src = "unsafe extern \"C\" {\n    decls!();\n}";
    assert_error(block("", src), src, "decls", &["macros are not expanded"]);
}

#[test]
fn generics_variadics_async_const_self() {
    param_rejected(
        "x: c_int, ...",
        "...",
        &["variadic C functions", "fixed parameters"],
    );
    let src = "unsafe extern \"C\" {\n    fn f<T>(x: *mut T);\n}";
    assert_error(block("", src), src, "<T>", &["cannot be generic"]);
    let src = "unsafe extern \"C\" {\n    async fn f();\n}";
    assert_error(block("", src), src, "async", &["cannot be `async`"]);
    let src = "unsafe extern \"C\" {\n    const fn f();\n}";
    assert_error(block("", src), src, "const", &["cannot be `const fn`"]);
    param_rejected("self", "self", &["`self` cannot cross to C"]);
    param_rejected("&self, x: c_int", "self", &["`self` cannot cross to C"]);
}

#[test]
fn rust_types_that_do_not_cross() {
    param_rejected(
        "s: String",
        "String",
        &["`String` cannot cross to C", "CString::as_ptr"],
    );
    param_rejected(
        "s: &str",
        "&str",
        &["`&str` cannot cross to C", "*const c_char"],
    );
    param_rejected(
        "x: &mut c_int",
        "&mut",
        &["reference `&mut c_int`", "`*mut c_int`"],
    );
    param_rejected(
        "x: &c_int",
        "&c_int",
        &["reference `&c_int`", "`*const c_int`"],
    );
    param_rejected("v: Vec<u8>", "Vec", &["`Vec<u8>` cannot cross", "as_ptr"]);
    param_rejected("b: Box<c_int>", "Box", &["`Box<c_int>`", "Box::into_raw"]);
    param_rejected("t: (c_int, c_int)", "(c_int", &["tuple `(c_int, c_int)`"]);
    param_rejected(
        "a: [u8; 4]",
        "[u8",
        &["array `[u8; 4]` cannot cross to C by value", "as_ptr"],
    );
    param_rejected("c: char", "char", &["`char` cannot cross to C", "c_char"]);
    param_rejected(
        "x: u128",
        "u128",
        &["`u128` cannot cross", "no portable C ABI"],
    );
    param_rejected("x: i128", "i128", &["`i128` cannot cross"]);
    param_rejected("d: *const dyn Send", "dyn", &["fat pointer"]);
    param_rejected("d: Box<dyn Fn()>", "Box", &["cannot cross"]);
    param_rejected("i: impl Copy", "impl", &["`impl Copy` cannot cross"]);
    param_rejected("s: *const str", "str", &["fat pointer"]);
    param_rejected("s: *const [u8]", "[u8]", &["fat pointer"]);
    param_rejected(
        "o: Option<*mut c_int>",
        "Option",
        &["`Option` crosses only around"],
    );
    param_rejected("u: ()", "()", &["`()` is not a C parameter type"]);
    param_rejected(
        "v: c_void",
        "c_void",
        &["`c_void` cannot cross to C by value"],
    );
    param_rejected("x: <T as Tr>::X", "<T", &["qualified path"]);
}

#[test]
fn fn_pointer_abis() {
    param_rejected("cb: fn(c_int)", "fn(", &["Rust ABI", "extern \"C\" fn"]);
    param_rejected(
        "cb: extern \"system\" fn()",
        "\"system\"",
        &["ABI \"system\""],
    );
    param_rejected("cb: Option<fn()>", "fn(", &["Rust ABI"]);
    param_rejected(
        "cb: extern \"C\" fn(String)",
        "String",
        &["`String` cannot cross"],
    );
}

#[test]
fn never_and_return_errors() {
    let src = "unsafe extern \"C\" {\n    fn exit_now(code: c_int) -> !;\n}";
    assert_error(
        block("", src),
        src,
        "!",
        &["`!` cannot cross to C", "return `()`"],
    );
    let src = "unsafe extern \"C\" {\n    fn name() -> String;\n}";
    assert_error(block("", src), src, "String", &["`String` cannot cross"]);
}

#[test]
fn unknown_type_is_left_to_the_build_script_and_rustc() {
    // The macro sees one item: a name it does not know may be an alias
    // defined elsewhere, so the model takes it, and the build script (which
    // sees the files) or rustc (`CrossesToC`) judges it.
    assert!(block("", "unsafe extern \"C\" { fn f(x: my_int) -> my_int; }").is_ok());
    assert!(
        block(
            "header = \"mylib.h\"",
            "unsafe extern \"C\" { fn f(x: my_int); }"
        )
        .is_ok()
    );
}

#[test]
fn names() {
    let src = "unsafe extern \"C\" {\n    #[link_name = \"foo@@GLIBC_2.2.5\"] fn foo();\n}";
    assert_error(
        block("", src),
        src,
        "\"foo@@",
        &["not a C identifier", "link_name"],
    );
    let src = "unsafe extern \"C\" {\n    fn r#int();\n}";
    assert_error(block("", src), src, "r#int", &["`int` is a C keyword"]);
    let src = "unsafe extern \"C\" {\n    fn coffi_topofstack() -> usize;\n}";
    assert_error(
        block("", src),
        src,
        "coffi_topofstack",
        &["reserved by coffi"],
    );
    let src = "unsafe extern \"C\" {\n    #[link_name = 3] fn foo();\n}";
    assert_error(
        block("", src),
        src,
        "#[link_name",
        &["`link_name` takes a string"],
    );
}

#[test]
fn patterns_and_safety_qualifiers() {
    param_rejected("mut x: c_int", "mut x", &["pattern `mut x` is not allowed"]);
    let src = "extern \"C\" {\n    safe fn f();\n}";
    assert_error(
        block("", src),
        src,
        "safe",
        &["needs an `unsafe extern` block"],
    );
    let src = "extern \"C\" {\n    unsafe fn f();\n}";
    assert_error(
        block("", src),
        src,
        "unsafe",
        &["needs an `unsafe extern` block"],
    );
}

#[test]
fn several_errors_are_combined() {
    let src = "unsafe extern \"system\" {\n    fn a(s: String);\n    fn b(c: char) -> Vec<u8>;\n    static X: c_int;\n}";
    let all = errors(block("errnoo", src).unwrap_err());
    let at: Vec<_> = all.iter().map(|e| (e.line, e.column)).collect();
    assert_eq!(
        at,
        [
            (1, 0), // the unknown option: its position in the attribute tokens
            pos_of(src, "\"system\"", 0),
            pos_of(src, "String", 0),
            pos_of(src, "char", 0),
            pos_of(src, "Vec", 0),
            pos_of(src, "static", 0),
        ]
    );
    assert!(all[0].message.contains("did you mean `errno`?"));
}

#[test]
fn callback_misuse() {
    let src = "fn cb(x: c_int) -> c_int { x }";
    assert_error(
        callback("", src),
        src,
        "fn",
        &["needs an `extern \"C\" fn`", "extern \"C\" fn cb"],
    );
    let src = "extern \"Rust\" fn cb() {}";
    assert_error(callback("", src), src, "\"Rust\"", &["ABI \"Rust\""]);
    let src = "extern \"C\" fn cb<T>(x: *mut T) {}";
    assert_error(
        callback("", src),
        src,
        "<T>",
        &["an exported callback cannot be generic"],
    );
    let src = "async extern \"C\" fn cb() {}";
    assert_error(callback("", src), src, "async", &["cannot be `async`"]);
    let src = "extern \"C\" fn cb(&self) {}";
    assert_error(
        callback("", src),
        src,
        "self",
        &["`self` cannot cross", "free function"],
    );
    let src = "extern \"C\" fn cb(s: &str) {}";
    assert_error(callback("", src), src, "&str", &["`&str` cannot cross"]);
    let src = "unsafe extern \"C\" {\n    fn f();\n}";
    assert_error(
        callback("", src),
        src,
        "extern",
        &["`#[export_callback]` goes on a Rust", "`#[foreign_call]`"],
    );
}

#[test]
fn callback_returning_fn_pointers() {
    let src = "extern \"C\" fn pick() -> extern \"C\" fn(c_int) -> c_int { f }";
    assert_error(
        callback("", src),
        src,
        "extern \"C\" fn(",
        &[
            "cannot return a bare fn pointer",
            "return `Option<extern \"C\" fn(c_int) -> c_int>`",
        ],
    );
    assert!(
        callback(
            "",
            "extern \"C\" fn pick() -> Option<extern \"C\" fn(c_int) -> c_int> { None }"
        )
        .is_ok()
    );
}

#[test]
fn callback_on_panic_and_the_return_type() {
    // A callback returning nothing has no value to give C.
    for src in [
        "extern \"C\" fn done(x: c_int) {}",
        "extern \"C\" fn done(x: c_int) -> () {}",
    ] {
        assert_error(
            callback("stack = 4096, on_panic = 0", src),
            "stack = 4096, on_panic = 0",
            "on_panic",
            &["`done` returns nothing", "remove `on_panic`"],
        );
    }
    let cb = callback(
        "on_panic = -1",
        "extern \"C\" fn row(n: c_int) -> c_int { n }",
    )
    .unwrap();
    assert_eq!(
        coffi_syntax::pretty(&cb.options.on_panic.unwrap().value),
        "- 1"
    );
    // With a value for C, a bare fn pointer (of any arity) may be returned.
    let many = "extern \"C\" fn pick() -> extern \"C\" fn(u8, u8, u8, u8, u8, u8, u8, u8, u8, u8, \
                u8, u8, u8) { f }";
    assert!(callback("on_panic = f", many).is_ok());
    assert!(callback("", many).is_err());
}

#[test]
fn callback_export_names() {
    let cb = callback(
        "",
        "#[unsafe(export_name = \"goCb\")] extern \"C\" fn cb() {}",
    )
    .unwrap();
    assert_eq!((cb.c_name.as_str(), cb.needs_no_mangle), ("goCb", false));
    let cb = callback(
        "",
        "#[unsafe(no_mangle)] pub unsafe extern \"C-unwind\" fn cb(_: c_int) {}",
    )
    .unwrap();
    assert_eq!((cb.c_name.as_str(), cb.needs_no_mangle), ("cb", false));
    let cb = callback(
        "",
        "extern \"C\" fn cb(mut n: c_int, _: u8) -> c_int { n += 1; n }",
    )
    .unwrap();
    assert_eq!((cb.c_name.as_str(), cb.needs_no_mangle), ("cb", true));
    assert_eq!(cb.c_prototype(), "int cb(int, uint8_t)");
    let src = "#[unsafe(export_name = \"a-b\")] extern \"C\" fn cb() {}";
    assert_error(
        callback("", src),
        src,
        "\"a-b\"",
        &["not a C identifier", "export_name"],
    );
}

/// The hint says what to write in the place of the rejected type: a
/// parameter of a C function is passed to C, its return value comes from
/// C, a callback's parameter comes from C, its return value goes to C.
#[test]
fn hints_follow_the_direction() {
    let ret = |ty: &str, at: &str, words: &[&str]| {
        let src = format!("unsafe extern \"C\" {{\n    fn f() -> {ty};\n}}");
        assert_error(block("", &src), &src, at, words);
    };
    ret(
        "String",
        "String",
        &["declare the return type `*const c_char`", "CStr::from_ptr"],
    );
    ret(
        "&'static str",
        "&'static",
        &["`&'static str` cannot cross", "CStr::from_ptr"],
    );
    ret(
        "Box<Node>",
        "Box",
        &["declare the return type `*mut Node`", "Box::from_raw"],
    );
    ret("Vec<u8>", "Vec", &["`*mut u8`", "slice::from_raw_parts"]);
    ret(
        "(c_int, c_int)",
        "(c_int",
        &["return one value", "out-parameters"],
    );
    ret("[u8; 4]", "[u8", &["cannot return arrays", "`*const u8`"]);
    param_rejected("a: [u16; 2]", "[u16", &["`*const u16` (`arr.as_ptr()`)"]);
    param_rejected(
        "s: String",
        "String",
        &["pass `*const c_char`", "c\"literal\".as_ptr()"],
    );
    param_rejected(
        "f: *mut dyn FnMut()",
        "dyn",
        &["address and vtable", "Box::into_raw(Box::new(b))"],
    );
    param_rejected(
        "s: *const [u8]",
        "[u8]",
        &["address and length", "first element"],
    );

    let src = "extern \"C\" fn cb(s: String) {}";
    assert_error(
        callback("", src),
        src,
        "String",
        &["take `*const c_char`", "CStr::from_ptr"],
    );
    let src = "extern \"C\" fn cb() -> String { String::new() }";
    assert_error(
        callback("", src),
        src,
        "String",
        &["return `*const c_char`", "CString::into_raw"],
    );
    let src = "extern \"C\" fn cb(b: Box<u8>) {}";
    assert_error(callback("", src), src, "Box", &["take `*mut u8`"]);
    let src = "extern \"C\" fn cb() -> Box<u8> { Box::new(0) }";
    assert_error(
        callback("", src),
        src,
        "Box",
        &["return `Box::into_raw(b)`"],
    );
    let src = "extern \"C\" fn cb(a: [u8; 4]) {}";
    assert_error(
        callback("", src),
        src,
        "[u8",
        &["take a pointer to the first element, `*const u8`"],
    );
}

#[test]
fn callback_c_name_span() {
    let src = "#[unsafe(export_name = \"on_event\")] extern \"C\" fn handle() {}";
    let cb = callback("", src).unwrap();
    let start = cb.c_name_span.start();
    assert_eq!((start.line, start.column), pos_of(src, "\"on_event\"", 0));
    let src = "extern \"C\" fn on_event() {}";
    let cb = callback("", src).unwrap();
    let start = cb.c_name_span.start();
    assert_eq!((start.line, start.column), pos_of(src, "on_event", 0));
}
