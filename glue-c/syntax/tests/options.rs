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
    foreign_err("zzz", "zzz", &["accepts `errno` and `header = \"...\"`"]);
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
