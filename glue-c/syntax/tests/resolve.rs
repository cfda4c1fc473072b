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
    // check (and rustc checks `Option<Cmp>` with `assert_crosses`).
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
