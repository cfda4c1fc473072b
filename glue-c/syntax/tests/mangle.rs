//! Symbol names and the signature hash.

mod common;

use common::one_fn;

fn hash(attr: &str, decl: &str) -> String {
    one_fn(attr, &format!("unsafe extern \"C\" {{ {decl} }}")).hash()
}

#[test]
fn names_follow_the_contract() {
    let f = one_fn(
        "",
        r#"unsafe extern "C" { pub fn add(a: c_int, b: c_int) -> c_int; }"#,
    );
    let h = f.hash();
    assert_eq!(h.len(), 16);
    assert!(
        h.chars()
            .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
    );
    assert_eq!(f.shim_symbol(), format!("__coffi_shim_add_{h}"));
    assert_eq!(f.frame_tag(), format!("__coffi_frame_add_{h}"));
    assert_eq!(
        f.marker_symbol(),
        format!("coffi_build_bridge_missing_for__add_{h}")
    );
    assert_eq!(f.layout_symbol(), format!("__coffi_layout_add_{h}"));
    assert_eq!(
        f.signature(),
        "coffi-frame-1;add;int(int,int);errno=0;header="
    );
    assert_eq!(
        h,
        format!("{:016x}", coffi_syntax::fnv1a64(f.signature().as_bytes()))
    );
}

#[test]
fn equal_signatures_hash_equal() {
    let a = hash("", "fn add(a: c_int, b: c_int) -> c_int;");
    assert_eq!(
        a,
        hash(
            "",
            "pub fn add(x: core::ffi::c_int, _: ::std::os::raw::c_int) -> libc::c_int;"
        )
    );
    assert_eq!(a, hash("", "pub safe fn add(x: c_int, y: c_int) -> c_int;"));
    assert_eq!(
        a,
        hash(
            "",
            "#[doc = \"x\"] #[must_use] fn add(x: c_int, y: c_int) -> c_int;"
        )
    );
    // Stable across runs and machines: a fixed value.
    assert_eq!(
        a,
        format!(
            "{:016x}",
            coffi_syntax::fnv1a64(b"coffi-frame-1;add;int(int,int);errno=0;header=")
        )
    );
}

#[test]
fn different_signatures_hash_differently() {
    let base = hash("", "fn add(a: c_int, b: c_int) -> c_int;");
    let others = [
        hash("", "fn add(a: c_int, b: c_long) -> c_int;"),
        hash("", "fn add(a: c_int) -> c_int;"),
        hash("", "fn add(a: c_int, b: c_int) -> c_uint;"),
        hash("", "fn add(a: c_int, b: c_int);"),
        hash("", "fn add2(a: c_int, b: c_int) -> c_int;"),
        hash("errno", "fn add(a: c_int, b: c_int) -> c_int;"),
        hash("header = \"m.h\"", "fn add(a: c_int, b: c_int) -> c_int;"),
        hash("", "fn add(a: *const c_int, b: c_int) -> c_int;"),
        hash("", "fn add(a: *mut c_int, b: c_int) -> c_int;"),
    ];
    for (i, o) in others.iter().enumerate() {
        assert_ne!(&base, o, "variant {i}");
        for o2 in &others[i + 1..] {
            assert_ne!(o, o2);
        }
    }
}

#[test]
fn link_name_is_the_c_name() {
    // The hash covers the C name, not the Rust one.
    assert_eq!(
        hash("", "fn add2(a: c_int, b: c_int) -> c_int;"),
        hash(
            "",
            "#[link_name = \"add2\"] fn add(a: c_int, b: c_int) -> c_int;"
        )
    );
    let f = one_fn(
        "",
        r#"unsafe extern "C" { #[link_name = "real"] fn alias(x: f64) -> f64; }"#,
    );
    assert_eq!(f.rust_name.to_string(), "alias");
    assert_eq!(f.c_name, "real");
    assert!(f.shim_symbol().starts_with("__coffi_shim_real_"));
    assert!(f.attrs.is_empty(), "link_name is consumed");
}
