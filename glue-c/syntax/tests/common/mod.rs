//! Helpers shared by the tests.
#![allow(dead_code)]

use coffi_syntax::{Callback, ForeignBlock, ForeignFn};
use proc_macro2::TokenStream;

/// Parses `src` (an extern block) with the attribute arguments `attr`.
pub fn block(attr: &str, src: &str) -> syn::Result<ForeignBlock> {
    let attr: TokenStream = attr.parse().expect("attribute tokens");
    let item: syn::Item = syn::parse_str(src).expect("the test source parses as an item");
    coffi_syntax::parse_foreign_call(attr, item)
}

/// The only function of a block that must parse.
pub fn one_fn(attr: &str, src: &str) -> ForeignFn {
    let mut b = block(attr, src).unwrap_or_else(|e| panic!("{src}: {e}"));
    assert_eq!(b.fns.len(), 1);
    b.fns.remove(0)
}

/// Parses `src` (a fn item) under `#[export_callback(attr)]`.
pub fn callback(attr: &str, src: &str) -> syn::Result<Callback> {
    let attr: TokenStream = attr.parse().expect("attribute tokens");
    let item: syn::Item = syn::parse_str(src).expect("the test source parses as an item");
    coffi_syntax::parse_export_callback(attr, item)
}

/// One error: its message and where it starts (1-based line, 0-based column).
#[derive(Debug)]
pub struct At {
    pub message: String,
    pub line: usize,
    pub column: usize,
}

/// Every message of a (combined) error with its start.
pub fn errors(e: syn::Error) -> Vec<At> {
    e.into_iter()
        .map(|e| {
            let start = e.span().start();
            At {
                message: e.to_string(),
                line: start.line,
                column: start.column,
            }
        })
        .collect()
}

/// Line (1-based) and column (0-based) of the `nth` occurrence of `needle`.
pub fn pos_of(src: &str, needle: &str, nth: usize) -> (usize, usize) {
    let offset = src
        .match_indices(needle)
        .nth(nth)
        .unwrap_or_else(|| panic!("`{needle}` not found in {src}"))
        .0;
    let before = &src[..offset];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count());
    (line, column)
}

/// Asserts that `result` fails with exactly one error that contains every
/// string of `words` and starts at the first occurrence of `at` in `src`.
#[track_caller]
pub fn assert_error<T: std::fmt::Debug>(
    result: syn::Result<T>,
    src: &str,
    at: &str,
    words: &[&str],
) {
    let all = errors(result.expect_err("expected an error"));
    assert_eq!(all.len(), 1, "expected one error, got {all:#?}");
    let e = &all[0];
    for w in words {
        assert!(e.message.contains(w), "message {:?} lacks {w:?}", e.message);
    }
    assert!(
        e.message.contains("\nhelp: "),
        "message {:?} has no hint",
        e.message
    );
    assert_eq!(
        (e.line, e.column),
        pos_of(src, at, 0),
        "error {:?} points elsewhere",
        e.message
    );
}
