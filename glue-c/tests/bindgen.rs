//! `mark_bindgen` on real bindgen output (zlib.h, checked in under
//! `bindgen/` by `scripts/regen-bindgen.sh`) and on small cases of shapes
//! bindgen writes.

use coffi_build::{MarkedBindings, mark_bindgen};
use syn::{ForeignItem, Item};

const ZLIB: &str = include_str!("bindgen/zlib_bindings.rs");
const ZLIB_MERGED: &str = include_str!("bindgen/zlib_bindings_merged.rs");
const ATTR: &str = "#[coffi::foreign_call(header = \"<zlib.h>\")]";

/// The functions of the checked-in bindings that coffi bridges, in file
/// order (everything allowlisted but the variadic gzprintf).
const BRIDGED: [&str; 14] = [
    "zlibVersion",
    "deflate",
    "deflateEnd",
    "inflate",
    "inflateEnd",
    "inflateBack",
    "compress",
    "compress2",
    "compressBound",
    "uncompress",
    "adler32",
    "crc32",
    "deflateInit_",
    "inflateInit_",
];

fn mark(text: &str) -> MarkedBindings {
    mark_bindgen("zlib_bindings.rs", text, "<zlib.h>").unwrap_or_else(|e| panic!("{e}"))
}

/// An item of an extern block: (name, is a function, is variadic).
type Entry = (String, bool, bool);

/// Each extern block of `text`: whether it carries coffi's attribute, and
/// its items.
fn blocks(text: &str) -> Vec<(bool, Vec<Entry>)> {
    let file = syn::parse_file(text).expect("the marked copy is valid Rust");
    file.items
        .iter()
        .filter_map(|item| match item {
            Item::ForeignMod(block) => Some(block),
            _ => None,
        })
        .map(|block| {
            let marked = block.attrs.iter().any(|a| {
                let path = a.path();
                path.segments.len() == 2
                    && path.segments[0].ident == "coffi"
                    && path.segments[1].ident == "foreign_call"
            });
            let items = block
                .items
                .iter()
                .map(|item| match item {
                    ForeignItem::Fn(f) => (f.sig.ident.to_string(), true, f.sig.variadic.is_some()),
                    ForeignItem::Static(s) => (s.ident.to_string(), false, false),
                    other => panic!("unexpected item {other:?}"),
                })
                .collect();
            (marked, items)
        })
        .collect()
}

#[test]
fn every_bridgeable_function_of_real_bindgen_output_is_marked() {
    let marked = mark(ZLIB);
    assert_eq!(marked.bridged, BRIDGED);
    let left: Vec<_> = marked
        .left_plain
        .iter()
        .map(|l| (l.name.as_str(), l.reason.as_str()))
        .collect();
    assert_eq!(left, [("gzprintf", "variadic")]);
    let gzprintf_line = ZLIB
        .lines()
        .position(|l| l.contains("pub fn gzprintf("))
        .unwrap()
        + 1;
    assert_eq!(marked.left_plain[0].line, gzprintf_line);

    // bindgen's default shape is one block per item: each function block
    // gets the attribute, the variadic's and the static's blocks do not.
    let blocks = blocks(&marked.text);
    let mut seen_bridged = Vec::new();
    for (is_marked, items) in &blocks {
        assert_eq!(items.len(), 1, "{items:?}");
        let (name, is_fn, variadic) = &items[0];
        assert_eq!(*is_marked, *is_fn && !variadic, "{name}");
        if *is_marked {
            seen_bridged.push(name.as_str());
        }
    }
    assert_eq!(seen_bridged, BRIDGED);
    assert!(blocks.iter().any(|(m, i)| !m && i[0].0 == "optind"));
    assert!(blocks.iter().any(|(m, i)| !m && i[0].0 == "gzprintf"));

    // Nothing else changes: without the inserted attribute lines, the copy
    // is bindgen's text byte for byte (comments, types, layout tests).
    assert_eq!(marked.text.matches(ATTR).count(), BRIDGED.len());
    assert_eq!(marked.text.replace(&format!("{ATTR}\n"), ""), ZLIB);
}

#[test]
fn a_merged_block_is_split_into_a_bridged_and_a_plain_block() {
    let marked = mark(ZLIB_MERGED);
    assert_eq!(marked.bridged, BRIDGED);
    assert_eq!(marked.left_plain.len(), 1);
    assert_eq!(marked.left_plain[0].name, "gzprintf");
    let blocks = blocks(&marked.text);
    assert_eq!(blocks.len(), 2, "{blocks:?}");
    let (bridged, plain) = (&blocks[0], &blocks[1]);
    assert!(bridged.0 && !plain.0);
    let names: Vec<_> = bridged.1.iter().map(|(n, _, _)| n.as_str()).collect();
    assert_eq!(names, BRIDGED);
    assert_eq!(
        plain.1,
        [
            ("optind".to_owned(), false, false),
            ("gzprintf".to_owned(), true, true)
        ]
    );
    // One item a line, as bindgen wrote it.
    assert!(marked.text.contains(&format!(
        "{ATTR}\nunsafe extern \"C\" {{\n    pub fn zlibVersion() -> *const ::std::os::raw::c_char;\n"
    )));
    assert!(marked.text.contains(
        "unsafe extern \"C\" {\n    pub static mut optind: ::std::os::raw::c_int;\n    pub fn gzprintf(\n"
    ));
}

#[test]
fn the_marked_copy_generates_shims_for_the_bridged_functions_only() {
    for text in [ZLIB, ZLIB_MERGED] {
        let marked = mark(text);
        let out = coffi_build::generate(&marked.text).unwrap_or_else(|e| panic!("{e}"));
        assert!(out.shims_c.contains("#include <zlib.h>"));
        for name in BRIDGED {
            assert!(
                out.shims_c.contains(&format!("__coffi_shim_{name}_")),
                "no shim for {name}"
            );
        }
        assert!(
            out.shims_c.contains("__coffi_r = crc32("),
            "{}",
            out.shims_c
        );
        assert!(!out.shims_c.contains("gzprintf"));
        assert!(!out.shims_c.contains("optind"));
        assert!(out.headers.len() == 1 && out.headers[0].system);
    }
}

#[test]
fn marking_twice_changes_nothing() {
    let once = mark(ZLIB_MERGED);
    let twice = mark(&once.text);
    assert_eq!(twice.text, once.text);
    assert!(twice.bridged.is_empty());
}

#[test]
fn a_function_coffi_rejects_stays_plain_with_coffi_s_reason() {
    // bindgen writes `u128` for `__int128`, which coffi does not carry.
    let text = "unsafe extern \"C\" {\n    pub fn wide(x: u128) -> u128;\n    pub fn narrow(x: u64) -> u64;\n}\n";
    let marked = mark_bindgen("b.rs", text, "wide.h").unwrap();
    assert_eq!(marked.bridged, ["narrow"]);
    assert_eq!(marked.left_plain.len(), 1);
    let left = &marked.left_plain[0];
    assert_eq!((left.name.as_str(), left.line), ("wide", 2));
    assert!(left.reason.contains("u128"), "{}", left.reason);
    assert!(!left.reason.contains('\n'));
    assert_eq!(
        marked.text,
        "#[coffi::foreign_call(header = \"wide.h\")]\n\
         unsafe extern \"C\" {\n    pub fn narrow(x: u64) -> u64;\n}\n\
         unsafe extern \"C\" {\n    pub fn wide(x: u128) -> u128;\n}\n"
    );
}

#[test]
fn blocks_without_functions_other_abis_and_marked_blocks_are_left_alone() {
    let text = "\
unsafe extern \"C\" {\n    pub static mut counter: ::std::os::raw::c_int;\n}\n\
unsafe extern \"system\" {\n    pub fn sys(x: i32) -> i32;\n}\n\
#[coffi::foreign_call(blocking)]\nunsafe extern \"C\" {\n    pub fn slow(x: i32) -> i32;\n}\n\
pub mod root {\n    unsafe extern \"C\" {\n        pub fn nested(x: i32) -> i32;\n    }\n}\n";
    let marked = mark_bindgen("b.rs", text, "lib.h").unwrap();
    assert_eq!(marked.bridged, ["nested"], "modules are followed");
    assert!(marked.left_plain.is_empty());
    assert_eq!(
        marked.text,
        text.replace(
            "    unsafe extern \"C\" {\n        pub fn nested",
            "    #[coffi::foreign_call(header = \"lib.h\")]\n    unsafe extern \"C\" {\n        pub fn nested"
        )
    );
}

#[test]
fn attributes_of_the_block_and_the_functions_are_kept() {
    let text = "#[link(name = \"z\")]\nextern \"C\" {\n    #[doc = \" Sums.\"]\n    pub fn sum(a: i32, b: i32) -> i32;\n    #[link_name = \"real_f\"]\n    pub fn f(...) -> i32;\n}\n";
    let marked = mark_bindgen("b.rs", text, "lib.h").unwrap();
    assert_eq!(
        marked.text,
        "#[coffi::foreign_call(header = \"lib.h\")]\n\
         #[link(name = \"z\")]\nextern \"C\" {\n    #[doc = \" Sums.\"]\n    pub fn sum(a: i32, b: i32) -> i32;\n}\n\
         #[link(name = \"z\")]\nextern \"C\" {\n    #[link_name = \"real_f\"]\n    pub fn f(...) -> i32;\n}\n"
    );
    let out = coffi_build::generate(&marked.text).unwrap();
    assert!(out.shims_c.contains("#include \"lib.h\""));
}

#[test]
fn errors_name_the_file_the_place_and_what_to_do() {
    let err = mark_bindgen("out/bindings.rs", "pub fn f( {", "lib.h").unwrap_err();
    let d = &err.diagnostics()[0];
    assert_eq!((d.file.as_str(), d.line), ("out/bindings.rs", 1));
    assert!(d.message.contains("write_to_file"), "{}", d.message);

    let err = mark_bindgen("out/bindings.rs", "", "").unwrap_err();
    let text = err.to_string();
    assert!(text.starts_with("out/bindings.rs:1:1: error:"), "{text}");
    assert!(text.contains("bridge_bindgen"), "{text}");
}

#[test]
fn a_struct_a_bridged_function_returns_by_value_derives_c_struct() {
    let expat = include_str!("bindgen/expat_bindings.rs");
    let marked = mark_bindgen("expat_bindings.rs", expat, "<expat.h>").unwrap();
    assert!(marked.left_plain.is_empty(), "{:?}", marked.left_plain);
    assert!(marked.bridged.contains(&"XML_ExpatVersionInfo".to_owned()));
    assert!(
        marked
            .text
            .contains("#[derive(coffi::CStruct)]\n#[repr(C)]\n#[derive(Debug, Copy, Clone)]\npub struct XML_Expat_Version {"),
        "{}",
        marked.text
    );
    // Only that one: the opaque parser struct is used through a pointer.
    assert_eq!(marked.text.matches("coffi::CStruct").count(), 1);
    // Marking the marked copy again changes nothing.
    let again = mark_bindgen("expat_bindings.rs", &marked.text, "<expat.h>").unwrap();
    assert_eq!(again.text, marked.text);
}

#[test]
fn a_function_taking_a_struct_coffi_cannot_derive_for_stays_plain() {
    // As bindgen writes a packed struct and one with a bitfield unit.
    let bindings = r#"
#[repr(C, packed)]
#[derive(Debug, Copy, Clone)]
pub struct packed_t {
    pub tag: u8,
    pub value: u32,
}
#[repr(C)]
#[derive(Debug, Copy, Clone)]
pub struct bits_t {
    pub _bitfield_align_1: [u8; 0],
    pub _bitfield_1: __BindgenBitfieldUnit<[u8; 1usize]>,
}
#[repr(C)]
#[derive(Debug, Copy, Clone)]
pub struct plain_t {
    pub x: ::std::os::raw::c_int,
}
unsafe extern "C" {
    pub fn take_packed(p: packed_t) -> ::std::os::raw::c_int;
    pub fn take_bits(b: bits_t);
    pub fn take_plain(p: plain_t) -> plain_t;
}
"#;
    let marked = mark_bindgen("lib.rs", bindings, "lib.h").unwrap();
    assert_eq!(marked.bridged, ["take_plain"]);
    let reasons: Vec<(&str, &str)> = marked
        .left_plain
        .iter()
        .map(|l| (l.name.as_str(), l.reason.as_str()))
        .collect();
    assert_eq!(reasons.len(), 2, "{reasons:?}");
    assert_eq!(reasons[0].0, "take_packed");
    assert!(
        reasons[0].1.contains("not `packed` or `align`"),
        "{reasons:?}"
    );
    assert_eq!(reasons[1].0, "take_bits");
    assert!(
        reasons[1]
            .1
            .starts_with("in field `_bitfield_1` of `struct bits_t`"),
        "{reasons:?}"
    );
    // Only the struct coffi bridges derives CStruct.
    assert_eq!(marked.text.matches("coffi::CStruct").count(), 1);
    assert!(marked.text.contains(
        "#[derive(coffi::CStruct)]\n#[repr(C)]\n#[derive(Debug, Copy, Clone)]\npub struct plain_t"
    ));
}
