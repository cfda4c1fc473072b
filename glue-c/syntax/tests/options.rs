//! `#[foreign_call(..)]` and `#[export_callback(..)]` options.

mod common;

use coffi_syntax::{
    DEFAULT_CALLBACK_STACK, MAX_CALLBACK_STACK, parse_callback_options, parse_foreign_options,
};
use common::{assert_error, errors};
use proc_macro2::TokenStream;

fn foreign(attr: &str) -> syn::Result<coffi_syntax::ForeignOptions> {
    parse_foreign_options(attr.parse::<TokenStream>().unwrap())
}

fn stack(attr: &str) -> syn::Result<usize> {
    parse_callback_options(attr.parse::<TokenStream>().unwrap()).map(|o| o.stack)
}

#[track_caller]
fn foreign_err(attr: &str, at: &str, words: &[&str]) {
    assert_error(foreign(attr), attr, at, words);
}

#[track_caller]
fn stack_err(attr: &str, at: &str, words: &[&str]) {
    assert_error(stack(attr), attr, at, words);
}

#[test]
fn foreign_options_alone_and_combined() {
    let none = foreign("").unwrap();
    assert!(!none.errno && none.header.is_none());
    assert!(foreign("errno").unwrap().errno);
    let h = foreign("header = \"mylib.h\"").unwrap().header.unwrap();
    assert_eq!((h.path.as_str(), h.system), ("mylib.h", false));
    assert_eq!(h.include_directive(), "#include \"mylib.h\"");
    for attr in [
        "errno, header = \"inc/my lib.h\"",
        "header = \"inc/my lib.h\", errno,",
    ] {
        let both = foreign(attr).unwrap();
        assert!(both.errno);
        assert_eq!(both.header.unwrap().path, "inc/my lib.h");
    }
    let sys = foreign("header = \"<zlib.h>\"").unwrap().header.unwrap();
    assert_eq!((sys.path.as_str(), sys.system), ("zlib.h", true));
    assert_eq!(sys.include_directive(), "#include <zlib.h>");
    assert_eq!(sys.as_written(), "<zlib.h>");
}

#[test]
fn foreign_option_errors() {
    foreign_err(
        "errnp",
        "errnp",
        &[
            "unknown option `errnp` for `#[foreign_call]`",
            "did you mean `errno`?",
        ],
    );
    foreign_err("heder = \"x.h\"", "heder", &["did you mean `header`?"]);
    foreign_err(
        "stack = 4096",
        "stack",
        &["`stack` is an option of `#[export_callback]`"],
    );
    foreign_err(
        "zzz",
        "zzz",
        &["accepts `blocking`, `errno` and `header = \"...\"`"],
    );
    let src = "errno, errno";
    let e = errors(foreign(src).unwrap_err());
    assert!(e[0].message.contains("duplicate option `errno`"));
    assert_eq!(e[0].column, 7, "points at the second `errno`");
    foreign_err("errno = 1", "errno", &["`errno` takes no value"]);
    foreign_err("header", "header", &["`header` takes a string"]);
    foreign_err("header = 3", "header", &["`header` takes a string"]);
    foreign_err("header = \"\"", "\"\"", &["the header name is empty"]);
    foreign_err("header = \"<x.h\"", "\"<x.h\"", &["unbalanced"]);
}

#[test]
fn blocking_combines_in_any_order() {
    assert!(!foreign("").unwrap().blocking);
    assert!(foreign("blocking").unwrap().blocking);
    for attr in [
        "blocking, errno",
        "errno, blocking",
        "blocking, errno, header = \"x.h\"",
        "header = \"x.h\", blocking, errno,",
        "errno, header = \"x.h\", blocking",
    ] {
        let opts = foreign(attr).unwrap();
        assert!(opts.blocking && opts.errno, "{attr}");
    }
    assert!(
        foreign("header = \"x.h\", blocking")
            .unwrap()
            .header
            .is_some()
    );
}

#[test]
fn blocking_errors() {
    foreign_err(
        "blocking = 1",
        "blocking",
        &["`blocking` takes no value", "#[foreign_call(blocking)]"],
    );
    foreign_err(
        "blocking = true",
        "blocking",
        &["`blocking` takes no value"],
    );
    foreign_err("blocking(1)", "blocking", &["`blocking` takes no value"]);
    let src = "blocking, errno, blocking";
    let e = errors(foreign(src).unwrap_err());
    assert_eq!(e.len(), 1);
    assert!(e[0].message.contains("duplicate option `blocking`"));
    assert_eq!(e[0].column, 17, "points at the second `blocking`");
    foreign_err(
        "blockng",
        "blockng",
        &["unknown option `blockng`", "did you mean `blocking`?"],
    );
    foreign_err("bloking", "bloking", &["did you mean `blocking`?"]);
    stack_err(
        "blocking",
        "blocking",
        &["`blocking` is an option of `#[foreign_call]`"],
    );
}

fn on_panic(attr: &str) -> syn::Result<Option<String>> {
    parse_callback_options(attr.parse::<TokenStream>().unwrap())
        .map(|o| o.on_panic.map(|p| coffi_syntax::pretty(&p.value)))
}

#[test]
fn on_panic_takes_any_expression() {
    assert_eq!(on_panic("").unwrap(), None);
    assert_eq!(on_panic("on_panic = -1").unwrap().as_deref(), Some("- 1"));
    assert_eq!(
        on_panic("on_panic = i32::MIN, stack = 4096")
            .unwrap()
            .as_deref(),
        Some("i32::MIN")
    );
    assert_eq!(
        on_panic("stack = 4096, on_panic = core::ptr::null_mut(),")
            .unwrap()
            .as_deref(),
        Some("core::ptr::null_mut()")
    );
    let both =
        parse_callback_options("stack = 8192, on_panic = { 1 + 2 }".parse().unwrap()).unwrap();
    assert_eq!(both.stack, 8192);
    // The type is the compiler's to check, at the expression.
    assert!(on_panic("on_panic = \"x\"").is_ok());
}

#[test]
fn on_panic_errors() {
    let e = |attr: &str, at: &str, words: &[&str]| assert_error(on_panic(attr), attr, at, words);
    e(
        "on_panic",
        "on_panic",
        &["`on_panic` takes the value C gets when the body panics"],
    );
    e("on_panic =", "on_panic", &["takes the value C gets"]);
    e(
        "on_panic = , stack = 4096",
        "on_panic",
        &["takes the value"],
    );
    e("on_panic(1)", "on_panic", &["takes the value"]);
    e(
        "on_panic = 1, on_panic = 2",
        "on_panic = 2",
        &["duplicate option `on_panic`"],
    );
    e(
        "on_panik = 1",
        "on_panik",
        &[
            "did you mean `on_panic`?",
            "`stack = N` and `on_panic = EXPR`",
        ],
    );
    foreign_err(
        "on_panic = 1",
        "on_panic",
        &["`on_panic` is an option of `#[export_callback]`"],
    );
}

#[test]
fn callback_stack() {
    assert_eq!(stack("").unwrap(), DEFAULT_CALLBACK_STACK);
    assert_eq!(DEFAULT_CALLBACK_STACK, 32 * 1024);
    assert_eq!(MAX_CALLBACK_STACK, 256 * 1024 * 1024);
    assert_eq!(stack("stack = 65536").unwrap(), 65536);
    assert_eq!(stack("stack = 65_536usize").unwrap(), 65536);
    assert_eq!(stack("stack = 0x1000").unwrap(), 4096);
    assert_eq!(
        stack(&format!("stack = {MAX_CALLBACK_STACK}")).unwrap(),
        MAX_CALLBACK_STACK
    );
}

#[test]
fn callback_stack_errors() {
    stack_err(
        "stack = 0",
        "0",
        &["`stack = 0` leaves the callback body no room"],
    );
    let big = format!("stack = {}", MAX_CALLBACK_STACK + 1);
    stack_err(&big, "2", &["more than coffi allows", "256 MiB"]);
    stack_err(
        "stack = 99999999999999999999999",
        "9",
        &["more than coffi allows"],
    );
    stack_err(
        "stack = \"64k\"",
        "\"64k\"",
        &["`stack` takes an integer number of bytes"],
    );
    stack_err("stack = 1.5", "1.5", &["integer number of bytes"]);
    stack_err("stack = 64 * 1024", "64", &["integer number of bytes"]);
    stack_err("stack", "stack", &["integer number of bytes"]);
    stack_err("stack = 4096u32", "4096u32", &["plain integer"]);
    stack_err("stak = 1", "stak", &["did you mean `stack`?"]);
    stack_err(
        "errno",
        "errno",
        &["`errno` is an option of `#[foreign_call]`"],
    );
    let src = "stack = 1, stack = 2";
    stack_err(src, "stack = 2", &["duplicate option `stack`"]);
}
