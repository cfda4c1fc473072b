//! Expansion tests (the expansion functions work on `proc_macro2` tokens,
//! so they run outside the compiler). Run with `-- --nocapture` to see the
//! formatted expansions.

use proc_macro2::TokenStream;

fn tokens(s: &str) -> TokenStream {
    s.parse().expect("valid tokens")
}

fn foreign(attr: &str, item: &str) -> String {
    crate::foreign::expand(tokens(attr), tokens(item)).to_string()
}

fn callback(attr: &str, item: &str) -> String {
    crate::callback::expand(tokens(attr), tokens(item)).to_string()
}

/// Formats code with rustfmt when it is installed (for reading only).
fn pretty(code: &str) -> String {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let child = Command::new("rustfmt")
        .args(["--edition", "2024", "--emit", "stdout"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn();
    let Ok(mut child) = child else {
        return code.to_owned();
    };
    if let Some(mut stdin) = child.stdin.take() {
        let _ = stdin.write_all(code.as_bytes());
    }
    match child.wait_with_output() {
        Ok(out) if out.status.success() => String::from_utf8_lossy(&out.stdout).into_owned(),
        _ => code.to_owned(),
    }
}

fn model(attr: &str, item: &str) -> coffi_syntax::ForeignFn {
    let item: syn::Item = syn::parse_str(item).expect("item");
    let mut block = coffi_syntax::parse_foreign_call(tokens(attr), item).expect("model");
    block.fns.remove(0)
}

const ADD: &str = r#"unsafe extern "C" { pub fn add(a: c_int, b: c_int) -> c_int; }"#;

#[test]
fn add_follows_the_contract() {
    let out = foreign("", ADD);
    let m = model("", ADD);
    let shim = format!("# [link_name = \"{}\"]", m.shim_symbol());
    let marker = format!("# [link_name = \"{}\"]", m.marker_symbol());
    for needle in [
        "pub unsafe fn add (a : c_int , b : c_int) -> c_int",
        "# [repr (C)]",
        "struct __CoffiFrame { p0 : c_int , p1 : c_int , r : :: core :: mem :: MaybeUninit < c_int > , }",
        "offset_of ! (__CoffiFrame , p1) == 4usize",
        ":: core :: mem :: size_of :: < __CoffiFrame > () == 12usize",
        &shim,
        &marker,
        "fn __coffi_shim (frame : * mut :: core :: ffi :: c_void , top : * const usize) ;",
        ":: coffi :: __private :: foreign_call (\"add\" , __coffi_shim , & raw mut __frame) ;",
        "__frame . r . assume_init ()",
    ] {
        assert!(
            out.contains(needle),
            "missing `{needle}` in\n{}",
            pretty(&out)
        );
    }
    assert!(!out.contains("compile_error"));
    assert!(!out.contains("assert_crosses"), "no typedefs here");
}

#[test]
fn safe_fn_gives_a_safe_function() {
    let out = foreign(
        "",
        r#"unsafe extern "C" { pub safe fn version() -> c_int; }"#,
    );
    assert!(out.contains("pub fn version () -> c_int"), "{out}");
    assert!(!out.contains("unsafe fn version"));
}

#[test]
fn errno_returns() {
    let out = foreign(
        "errno",
        r#"unsafe extern "C" { fn f(x: c_int) -> c_long; }"#,
    );
    assert!(
        out.contains("unsafe fn f (x : c_int) -> (c_long , :: coffi :: Errno)"),
        "{out}"
    );
    assert!(out.contains("errno : :: core :: mem :: MaybeUninit < :: core :: ffi :: c_int >"));
    assert!(out.contains(
        "(__frame . r . assume_init () , :: coffi :: Errno (__frame . errno . assume_init ()))"
    ));
    let out = foreign("errno", r#"unsafe extern "C" { fn g(); }"#);
    assert!(out.contains("unsafe fn g () -> :: coffi :: Errno"), "{out}");
    assert!(!out.contains(" r :"));
}

#[test]
fn blocking_calls_the_helper_thread_path_with_the_c_name() {
    let src = r#"unsafe extern "C" { #[link_name = "usleep"] pub fn nap(us: c_uint) -> c_int; }"#;
    for attr in ["blocking", "errno, blocking", "blocking, header = \"x.h\""] {
        let out = foreign(attr, src);
        assert!(
            out.contains(
                ":: coffi :: __private :: blocking_call (\"usleep\" , __coffi_shim , & raw mut __frame) ;"
            ),
            "{attr}: {}",
            pretty(&out)
        );
        assert!(!out.contains("foreign_call ("), "{out}");
    }
    assert!(foreign("errno, blocking", src).contains("-> (c_int , :: coffi :: Errno)"));
    // The shim is the same C with or without `blocking`: same symbols.
    assert_eq!(
        model("blocking", src).shim_symbol(),
        model("", src).shim_symbol()
    );
    let out = foreign("", src);
    assert!(
        out.contains("foreign_call (\"usleep\" , __coffi_shim"),
        "{out}"
    );
    assert!(!out.contains("blocking_call"), "{out}");
}

#[test]
fn unit_return_has_no_r() {
    let out = foreign("", r#"unsafe extern "C" { fn tick(); }"#);
    assert!(out.contains("struct __CoffiFrame { }"), "{out}");
    assert!(!out.contains("assume_init"));
    assert!(out.contains("unsafe fn tick () {"));
}

#[test]
fn link_name_calls_the_real_symbol() {
    let src = r#"unsafe extern "C" { #[link_name = "real"] fn alias(x: f64) -> f64; }"#;
    let out = foreign("", src);
    assert!(out.contains("unsafe fn alias (x : f64) -> f64"), "{out}");
    assert!(out.contains(&format!("\"{}\"", model("", src).shim_symbol())));
    assert!(out.contains("__coffi_shim_real_"));
    assert!(!out.contains("link_name = \"real\""));
}

#[test]
fn underscore_params_get_names() {
    let out = foreign("", r#"unsafe extern "C" { fn f(_: c_int, _: c_int); }"#);
    assert!(
        out.contains("fn f (__coffi_arg0 : c_int , __coffi_arg1 : c_int)"),
        "{out}"
    );
    assert!(out.contains("p0 : __coffi_arg0"));
}

#[test]
fn bindgen_output_keeps_its_attributes() {
    let src = r#"
        #[link(name = "m")]
        #[cfg(unix)]
        extern "C" {
            #[doc = " Computes the cosine."]
            #[must_use]
            #[link_name = "\u{1}cos"]
            pub fn cos_raw(x: f64) -> f64;
        }"#;
    // `\u{1}` prefixes are not C identifiers: rejected with a hint.
    assert!(foreign("", src).contains("compile_error"));
    let src = src.replace("\"\\u{1}cos\"", "\"cos\"");
    let out = foreign("", &src);
    assert!(
        out.contains("# [link (name = \"m\")] unsafe extern \"C\" { }"),
        "{out}"
    );
    assert!(
        out.contains("# [doc = \" Computes the cosine.\"] # [must_use]"),
        "{out}"
    );
    assert!(
        out.contains("# [cfg (unix)] # [doc"),
        "cfg reaches every function: {out}"
    );
    assert!(out.contains("pub unsafe fn cos_raw (x : f64) -> f64"));
}

#[test]
fn named_types_are_asserted_and_checked_at_run_time() {
    let src = r#"unsafe extern "C" { fn f(x: my_int, y: c_char) -> my_int; }"#;
    let out = foreign("header = \"mylib.h\"", src);
    let m = model("header = \"mylib.h\"", src);
    // Reading `CrossesToC::LAYOUT` of each named type is the compile-time
    // check that it may cross, and gives its layout number.
    assert!(
        out.contains("< my_int as :: coffi :: __private :: CrossesToC > :: LAYOUT as usize"),
        "{out}"
    );
    assert!(out.contains(&format!("\"{}\"", m.layout_symbol())));
    // Size, alignment, three offsets, two (flag, layout number) pairs.
    assert!(
        out.contains("static __COFFI_C_LAYOUT : [usize ; 9usize]"),
        "{out}"
    );
    assert!(
        out.contains("size_of :: < c_char > () == 1usize"),
        "known sizes are checked: {out}"
    );
    assert!(
        !out.contains("size_of :: < __CoffiFrame > () == "),
        "the size is not"
    );
}

#[test]
fn errors_point_at_the_user_tokens_and_emit_nothing_else() {
    let out = foreign("", r#"unsafe extern "C" { fn f(s: String); }"#);
    assert!(out.starts_with(":: core :: compile_error !"), "{out}");
    assert!(out.contains("`String` cannot cross to C"));
    assert!(!out.contains("fn f"));
    let out = foreign("errnp", ADD);
    assert!(out.contains("did you mean `errno`?"), "{out}");
    let out = foreign("", "fn not_a_block() {}");
    assert!(out.contains("goes on an `unsafe extern"), "{out}");
}

#[test]
fn callback_expansion() {
    let out = callback(
        "stack = 131072",
        r#"pub extern "C" fn goReturnVal(x: c_int) -> c_int { if x < 0 { return 0; } x + 1 }"#,
    );
    for needle in [
        "# [unsafe (no_mangle)] pub extern \"C\" fn goReturnVal (x : c_int) -> c_int {",
        ":: coffi :: __private :: run_callback (\"goReturnVal\" , 131072usize , move || -> c_int {",
        "size_of :: < c_int > () == 4usize",
    ] {
        assert!(
            out.contains(needle),
            "missing `{needle}` in\n{}",
            pretty(&out)
        );
    }
    let out = callback(
        "",
        r#"#[unsafe(export_name = "cb")] extern "C" fn my_cb() {}"#,
    );
    assert!(!out.contains("no_mangle"), "{out}");
    assert!(
        out.contains("run_callback (\"cb\" , 32768usize , move || -> () { })"),
        "{out}"
    );
    let out = callback("", "fn cb() {}");
    assert!(
        out.contains("compile_error") && out.contains("needs an `extern \\\"C\\\" fn`"),
        "{out}"
    );
}

#[test]
fn on_panic_is_the_value_c_gets() {
    let out = callback(
        "on_panic = -1, stack = 65536",
        r#"extern "C" fn row(n: c_int) -> c_int { n }"#,
    );
    assert!(
        out.contains(
            ":: coffi :: __private :: callback (\"row\" , 65536usize , move || -> c_int { - 1 } , move || -> c_int { n })"
        ),
        "{}",
        pretty(&out)
    );
    assert!(!out.contains("run_callback"), "{out}");
    // With `on_panic`, a bare fn pointer may be returned: C never sees a
    // zeroed one.
    let out = callback(
        "on_panic = fallback",
        r#"extern "C" fn pick() -> extern "C" fn() { fallback }"#,
    );
    assert!(!out.contains("compile_error"), "{out}");
    assert!(
        out.contains("move || -> extern \"C\" fn () { fallback }"),
        "{out}"
    );
    let out = callback("on_panic = 1", r#"extern "C" fn unit() {}"#);
    assert!(out.contains("returns nothing"), "{out}");
}

/// Prints the expansions quoted in the report (`cargo test -p coffi-macros
/// -- --nocapture print_expansions`).
#[test]
fn print_expansions() {
    println!("{}", pretty(&foreign("", ADD)));
    println!(
        "{}",
        pretty(&foreign(
            "errno",
            r#"unsafe extern "C" { pub fn strtol_(s: *const c_char) -> c_long; }"#
        ))
    );
    println!(
        "{}",
        pretty(&callback(
            "stack = 131072",
            r#"extern "C" fn goReturnVal() -> c_int { 42 }"#
        ))
    );
}

#[test]
fn after_an_error_the_fine_functions_keep_their_trampolines() {
    let out = foreign(
        "",
        r#"unsafe extern "C" { fn bad(s: String); pub fn good(x: c_int) -> c_int; static X: c_int; }"#,
    );
    assert!(out.starts_with(":: core :: compile_error !"), "{out}");
    assert!(
        out.contains("pub unsafe fn good (x : c_int) -> c_int"),
        "{out}"
    );
    assert!(!out.contains("fn bad"), "{out}");
    // A block-level error leaves nothing to recover.
    let out = foreign("errnp", ADD);
    assert!(!out.contains("fn add"), "{out}");
    // Not a block: the item as written, so that its uses still resolve.
    let out = foreign("", "pub fn add(a: c_int) -> c_int { a }");
    assert!(out.contains("compile_error"));
    assert!(
        out.contains("# [allow (dead_code)] pub fn add (a : c_int) -> c_int { a }"),
        "{out}"
    );
}

#[test]
fn after_an_error_the_callback_is_kept_unexported() {
    let out = callback("stack = 0", r#"extern "C" fn cb(x: c_int) -> c_int { x }"#);
    assert!(out.starts_with(":: core :: compile_error !"), "{out}");
    assert!(
        out.contains("extern \"C\" fn cb (x : c_int) -> c_int { x }"),
        "{out}"
    );
    assert!(
        !out.contains("no_mangle") && !out.contains("run_callback"),
        "{out}"
    );
}

#[test]
fn each_exported_symbol_names_a_crate_level_macro() {
    let out = callback(
        "",
        r#"#[unsafe(export_name = "on_event")] extern "C" fn handle() {}"#,
    );
    assert!(
        out.contains(
            "# [macro_export] macro_rules ! __coffi_export_callback_on_event { () => { } }"
        ),
        "{out}"
    );
}

#[test]
fn scalar_names_must_be_their_rust_types() {
    let out = foreign(
        "",
        r#"unsafe extern "C" { fn f(n: size_t, x: std::os::raw::c_int) -> bool; }"#,
    );
    for needle in [
        "impl Is_size_t for :: core :: primitive :: usize { }",
        "impl Is_size_t for :: core :: primitive :: u64 { }",
        "assert_is_size_t :: < size_t > ()",
        "impl Is_c_int for :: core :: ffi :: c_int { }",
        "impl Is_bool for :: core :: primitive :: bool { }",
        "write `libc::size_t`",
        "write `core::ffi::c_int`",
    ] {
        assert!(
            out.contains(needle),
            "missing `{needle}` in\n{}",
            pretty(&out)
        );
    }
    // Pointers are spelled out in the signature: nothing to check by name.
    let out = foreign("", r#"unsafe extern "C" { fn g(p: *mut c_int); }"#);
    assert!(!out.contains("Is_c_int"), "{out}");
    let out = callback("", r#"extern "C" fn cb(len: size_t) -> c_long { 0 }"#);
    assert!(
        out.contains("impl Is_size_t for :: core :: primitive :: usize"),
        "{out}"
    );
    assert!(
        out.contains("impl Is_c_long for :: core :: ffi :: c_long"),
        "{out}"
    );
}
