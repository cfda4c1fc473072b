//! Named types resolved through the `type` aliases of the bridged files.

use coffi_syntax::{Annotated, Callback, ForeignBlock, TypeDefs};

/// Scans `src`, resolves every item through the aliases of `src`, and
/// returns the items or the messages of the errors.
fn resolved(src: &str) -> Result<Vec<Annotated>, Vec<String>> {
    let file = syn::parse_file(src).unwrap();
    let mut defs = TypeDefs::default();
    defs.add_file(&file, |name| format!("lib.rs ({name})"));
    let mut items = coffi_syntax::scan_file(&file).map_err(|e| vec![e.to_string()])?;
    let mut errors = Vec::new();
    for item in &mut items {
        let result = match item {
            Annotated::ForeignBlock(b) => b.resolve(&defs),
            Annotated::Callback(c) => c.resolve(&defs),
        };
        if let Err(e) = result {
            errors.extend(e.into_iter().map(|e| e.to_string()));
        }
    }
    if errors.is_empty() {
        Ok(items)
    } else {
        Err(errors)
    }
}

fn block(src: &str) -> ForeignBlock {
    match resolved(src).unwrap().remove(0) {
        Annotated::ForeignBlock(b) => b,
        Annotated::Callback(_) => panic!("not a block"),
    }
}

fn callback(src: &str) -> Callback {
    match resolved(src).unwrap().remove(0) {
        Annotated::Callback(c) => *c,
        Annotated::ForeignBlock(_) => panic!("not a callback"),
    }
}

fn prototypes(src: &str) -> Vec<String> {
    block(src).fns.iter().map(|f| f.c_prototype()).collect()
}

fn errors(src: &str) -> Vec<String> {
    resolved(src).expect_err("an error")
}

#[test]
fn aliases_of_scalars_pointers_and_aliases_resolve() {
    let src = r#"
        pub type uLong = core::ffi::c_ulong;
        pub type uLongf = uLong;
        pub type Bytef = u8;
        pub type XML_Parser = *mut XML_ParserStruct;
        pub enum XML_ParserStruct {}
        pub type XML_Status = core::ffi::c_uint;
        #[coffi::foreign_call]
        unsafe extern "C" {
            fn compress(dest: *mut Bytef, len: *mut uLongf, src: *const Bytef, n: uLong) -> core::ffi::c_int;
            fn XML_StopParser(p: XML_Parser, resumable: u8) -> XML_Status;
        }
    "#;
    assert_eq!(
        prototypes(src),
        [
            "int compress(uint8_t *, unsigned long *, const uint8_t *, unsigned long)",
            "unsigned int XML_StopParser(void *, uint8_t)",
        ]
    );
}

#[test]
fn option_of_a_fn_pointer_alias_is_a_nullable_fn_pointer() {
    let src = r#"
        type Cmp = unsafe extern "C" fn(*const c_void, *const c_void) -> c_int;
        #[coffi::foreign_call]
        unsafe extern "C" { fn qsort(base: *mut c_void, n: usize, size: usize, cmp: Option<Cmp>); }
    "#;
    let b = block(src);
    assert_eq!(
        b.fns[0].c_prototype(),
        "void qsort(void *, size_t, size_t, int (*)(const void *, const void *))"
    );
    assert!(b.fns[0].params[3].ctype.is_fn_pointer());
    // Whatever it resolves to, both sides leave the layout to the run-time
    // check (and rustc checks that `Option<Cmp>` is `CrossesToC`).
    assert_eq!(b.fns[0].layout().size, None);
}

#[test]
fn aliases_inside_fn_pointer_aliases_resolve() {
    let src = r#"
        pub type XML_Char = core::ffi::c_char;
        pub type Handler = Option<unsafe extern "C" fn(data: *mut c_void, s: *const XML_Char, len: c_int)>;
        #[coffi::foreign_call]
        unsafe extern "C" { fn XML_SetCharacterDataHandler(p: *mut c_void, h: Handler); }
    "#;
    assert_eq!(
        prototypes(src),
        ["void XML_SetCharacterDataHandler(void *, void (*)(void *, const char *, int))"]
    );
}

#[test]
fn the_hash_does_not_depend_on_resolution() {
    let src = r#"
        type len_t = u32;
        #[coffi::foreign_call]
        unsafe extern "C" { fn f(n: len_t) -> len_t; }
    "#;
    let file = syn::parse_file(src).unwrap();
    let Annotated::ForeignBlock(unresolved) = coffi_syntax::scan_file(&file).unwrap().remove(0)
    else {
        panic!()
    };
    let resolved = block(src);
    assert_eq!(resolved.fns[0].c_prototype(), "uint32_t f(uint32_t)");
    assert_eq!(
        unresolved.fns[0].shim_symbol(),
        resolved.fns[0].shim_symbol()
    );
    assert!(unresolved.fns[0].signature().contains("len_t(len_t)"));
    // Both sides check the layout at run time.
    assert!(!resolved.fns[0].layout().is_known());
}

#[test]
fn callbacks_take_aliases() {
    let cb = callback(
        r#"
        pub type voidpf = *mut core::ffi::c_void;
        pub type uInt = core::ffi::c_uint;
        #[coffi::export_callback]
        extern "C" fn zalloc(opaque: voidpf, items: uInt, size: uInt) -> voidpf { opaque }
    "#,
    );
    assert_eq!(
        cb.c_prototype(),
        "void *zalloc(void *, unsigned int, unsigned int)"
    );
    assert_eq!(cb.named_types().len(), 4);
}

#[test]
fn an_alias_of_a_type_that_cannot_cross_is_an_error_naming_the_alias() {
    let e = errors(
        r#"
        type name_t = String;
        #[coffi::foreign_call]
        unsafe extern "C" { fn greet(name: name_t); }
    "#,
    );
    assert_eq!(e.len(), 1);
    assert!(
        e[0].starts_with(
            "through `type name_t = String;` (lib.rs (name_t)): `String` cannot cross to C"
        ),
        "{}",
        e[0]
    );
    assert!(e[0].contains("\nhelp: "), "{}", e[0]);
}

#[test]
fn option_of_an_alias_that_is_not_a_fn_pointer_is_an_error() {
    let e = errors(
        r#"
        type handle = *mut c_void;
        #[coffi::foreign_call]
        unsafe extern "C" { fn f(h: Option<handle>); }
    "#,
    );
    assert!(
        e[0].contains("`Option<handle>` cannot cross to C: `handle` is the C `void *`"),
        "{}",
        e[0]
    );
}

#[test]
fn an_unknown_name_without_header_says_how_to_define_it() {
    let e = errors(
        r#"
        #[coffi::foreign_call]
        unsafe extern "C" { fn f(x: my_int); }
    "#,
    );
    assert!(
        e[0].starts_with(
            "`my_int` is not a C type coffi knows: no bridged file defines `type my_int = ..;`"
        ),
        "{}",
        e[0]
    );
    assert!(e[0].contains("header = "), "{}", e[0]);
    // With a header it is the header's typedef; behind a pointer C need
    // not know it.
    let with_header = r#"
        #[coffi::foreign_call(header = "lib.h")]
        unsafe extern "C" { fn f(x: my_int, p: *mut my_struct) -> my_int; }
    "#;
    assert_eq!(prototypes(with_header), ["my_int f(my_int, void *)"]);
    let e = errors(
        r#"
        #[coffi::export_callback]
        extern "C" fn cb(x: my_int) {}
    "#,
    );
    assert!(e[0].contains("cannot use a C typedef `my_int`"), "{}", e[0]);
}

#[test]
fn a_cycle_of_aliases_is_an_error() {
    let e = errors(
        r#"
        type a = b;
        type b = a;
        #[coffi::foreign_call]
        unsafe extern "C" { fn f(x: a); }
    "#,
    );
    assert!(e[0].contains("more than 32 `type` aliases"), "{}", e[0]);
}

#[test]
fn two_different_definitions_of_one_name_are_an_error() {
    let e = errors(
        r#"
        mod one { pub type len_t = u32; }
        mod two { pub type len_t = u64; }
        mod three { pub type len_t = u32; }
        #[coffi::foreign_call]
        unsafe extern "C" { fn f(x: len_t); }
    "#,
    );
    assert!(
        e[0].contains("`len_t` is defined twice as different C types"),
        "{}",
        e[0]
    );
    // The same C type twice is fine.
    let ok = r#"
        mod one { pub type len_t = u32; }
        mod two { pub type len_t = core::primitive::u32; }
        #[coffi::foreign_call]
        unsafe extern "C" { fn f(x: len_t); }
    "#;
    assert_eq!(prototypes(ok), ["void f(uint32_t)"]);
}

#[test]
fn an_alias_of_unit_by_value_is_an_error() {
    let e = errors(
        r#"
        type nothing = ();
        #[coffi::foreign_call]
        unsafe extern "C" { fn f() -> nothing; }
    "#,
    );
    assert!(e[0].contains("cannot cross to C by value"), "{}", e[0]);
}

#[test]
fn repr_c_structs_resolve_by_value_with_nested_structs_and_arrays() {
    let src = r#"
        #[repr(C)] #[derive(coffi::CStruct)] pub struct Vec2 { pub x: f64, pub y: f64 }
        #[repr(C)] #[derive(coffi::CStruct)] pub struct Seg { pub ends: [Vec2; 2], pub id: c_int, pub name: *const c_char }
        #[repr(C)] #[derive(coffi::CStruct)] pub struct Wrapped(pub u8, pub len_t);
        type len_t = usize;
        #[coffi::foreign_call]
        unsafe extern "C" {
            fn shift(s: Seg, by: Vec2) -> Seg;
            fn wrap(w: Wrapped) -> Wrapped;
            fn by_pointer(s: *mut Seg);
        }
    "#;
    let b = block(src);
    assert_eq!(
        b.fns.iter().map(|f| f.c_prototype()).collect::<Vec<_>>(),
        [
            "struct Seg shift(struct Seg, struct Vec2)",
            "struct Wrapped wrap(struct Wrapped)",
            "void by_pointer(void *)",
        ]
    );
    let types = b
        .fns
        .iter()
        .flat_map(|f| f.params.iter().map(|p| &p.ctype).chain([&f.ret]));
    let defs: Vec<String> = coffi_syntax::structs_by_value(types)
        .iter()
        .map(|s| s.c_definition())
        .collect();
    assert_eq!(
        defs,
        [
            "struct Vec2 { double x; double y; };",
            "struct Seg { struct Vec2 ends[2]; int id; const char *name; };",
            "struct Wrapped { uint8_t _0; size_t _1; };",
        ]
    );
}

#[test]
fn with_a_header_a_struct_by_value_is_the_header_s_typedef() {
    let src = r#"
        #[repr(C)] #[derive(coffi::CStruct)] pub struct XML_Expat_Version { pub major: c_int }
        #[coffi::foreign_call(header = "expat.h")]
        unsafe extern "C" { fn XML_ExpatVersionInfo() -> XML_Expat_Version; }
    "#;
    assert_eq!(
        prototypes(src),
        ["XML_Expat_Version XML_ExpatVersionInfo(void)"]
    );
}

#[test]
fn structs_that_cannot_cross_by_value_are_errors() {
    let e = errors(
        r#"
        pub struct Point { x: f64 }
        #[coffi::foreign_call]
        unsafe extern "C" { fn f(p: Point); }
    "#,
    );
    assert!(e[0].contains("not `#[repr(C)]`"), "{}", e[0]);
    assert!(e[0].contains("derive `coffi::CStruct`"), "{}", e[0]);
    let e = errors(
        r#"
        const N: usize = 4;
        #[repr(C)] pub struct Buf { bytes: [u8; N] }
        #[coffi::foreign_call]
        unsafe extern "C" { fn f(b: Buf); }
    "#,
    );
    assert!(
        e[0].starts_with("in field `bytes` of `struct Buf`"),
        "{}",
        e[0]
    );
    assert!(e[0].contains("integer literal"), "{}", e[0]);
    let e = errors(
        r#"
        #[repr(C)] pub struct Named { name: String }
        #[coffi::foreign_call]
        unsafe extern "C" { fn f() -> Named; }
    "#,
    );
    assert!(
        e[0].contains("in field `name` of `struct Named`"),
        "{}",
        e[0]
    );
    let e = errors(
        r#"
        mod a { #[repr(C)] pub struct P { x: u8 } }
        mod b { #[repr(C)] pub struct P { x: u16 } }
        #[coffi::foreign_call]
        unsafe extern "C" { fn f(p: P); }
    "#,
    );
    assert!(e[0].starts_with("two structs named `P`"), "{}", e[0]);
}

#[test]
fn a_derive_on_a_struct_that_cannot_cross_is_an_error_of_the_scan() {
    let file = syn::parse_file("#[derive(Clone, coffi::CStruct)] struct P { x: f64 }").unwrap();
    let e = coffi_syntax::scan_file(&file).unwrap_err().to_string();
    assert!(e.contains("not `#[repr(C)]`"), "{e}");
}

#[test]
fn a_pointer_through_aliases_to_a_struct_c_does_not_know_is_void() {
    // As bindgen writes zlib's `z_streamp` and expat's `XML_Parser`.
    let src = r#"
        #[repr(C)] pub struct z_stream_s { pub avail_in: c_uint }
        pub type z_stream = z_stream_s;
        pub type z_streamp = *mut z_stream;
        pub type XML_Parser = *mut XML_ParserStruct;
        #[repr(C)] pub struct XML_ParserStruct { _unused: [u8; 0] }
        #[coffi::foreign_call(header = "zlib.h")]
        unsafe extern "C" {
            fn deflateEnd(strm: z_streamp) -> c_int;
            fn XML_ParserFree(p: XML_Parser);
        }
    "#;
    assert_eq!(
        prototypes(src),
        ["int deflateEnd(void *)", "void XML_ParserFree(void *)"]
    );
}

#[test]
fn with_a_header_an_alias_of_a_struct_tag_is_spelled_by_the_alias() {
    let src = r#"
        #[repr(C)] #[derive(coffi::CStruct)] pub struct z_stream_s { pub avail_in: c_uint }
        pub type z_stream = z_stream_s;
        #[coffi::foreign_call(header = "zlib.h")]
        unsafe extern "C" { fn take(z: z_stream) -> z_stream; }
    "#;
    let b = block(src);
    assert_eq!(b.fns[0].c_prototype(), "z_stream take(z_stream)");
    let coffi_syntax::CType::Named(n) = &b.fns[0].params[0].ctype else {
        panic!()
    };
    // The layout check still compares the struct's fields.
    assert!(
        matches!(n.shape, Some(coffi_syntax::Shape::Struct(_))),
        "{n:?}"
    );
}

#[test]
fn a_struct_by_value_inside_a_fn_pointer_type_is_an_error() {
    let e = errors(
        r#"
        #[repr(C)] #[derive(coffi::CStruct)] pub struct Event { pub kind: c_int }
        pub type handler_t = Option<unsafe extern "C" fn(Event) -> c_int>;
        #[coffi::foreign_call(header = "ev.h")]
        unsafe extern "C" { fn set_handler(h: handler_t); }
    "#,
    );
    assert!(
        e[0].contains("the struct `Event` by value inside a fn pointer type"),
        "{}",
        e[0]
    );
    assert!(e[0].contains("`*const Event`"), "{}", e[0]);
}

#[test]
fn a_struct_whose_names_c_cannot_take_is_an_error() {
    for (src, needle) in [
        (
            "#[repr(C)] pub struct S { pub default: c_int }",
            "`default` is a C keyword or standard macro",
        ),
        (
            "#[repr(C)] pub struct S { pub errno: c_int }",
            "`errno` is a C keyword or standard macro",
        ),
        (
            "#[repr(C)] pub struct timespec { pub tv_sec: i64, pub tv_nsec: i64 }",
            "`struct timespec` is defined by the C standard headers",
        ),
    ] {
        let name = if src.contains("timespec") {
            "timespec"
        } else {
            "S"
        };
        let e = errors(&format!(
            "{src}\n#[coffi::foreign_call]\nunsafe extern \"C\" {{ fn f(s: {name}); }}"
        ));
        assert!(e[0].contains(needle), "{}", e[0]);
    }
}
