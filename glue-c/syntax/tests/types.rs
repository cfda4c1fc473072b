//! C spelling and layout of every accepted type.

mod common;

use coffi_syntax::{CType, FieldRole};
use common::one_fn;

fn spelled(rust: &str) -> String {
    let ty: syn::Type = syn::parse_str(rust).unwrap_or_else(|e| panic!("{rust}: {e}"));
    CType::from_rust(&ty)
        .unwrap_or_else(|e| panic!("{rust}: {e}"))
        .c_spelling()
}

#[test]
fn scalars_by_last_path_segment() {
    let cases = [
        ("i8", "int8_t"),
        ("i16", "int16_t"),
        ("i32", "int32_t"),
        ("i64", "int64_t"),
        ("u8", "uint8_t"),
        ("u16", "uint16_t"),
        ("u32", "uint32_t"),
        ("u64", "uint64_t"),
        ("isize", "ptrdiff_t"),
        ("usize", "size_t"),
        ("f32", "float"),
        ("f64", "double"),
        ("bool", "bool"),
        ("c_char", "char"),
        ("c_schar", "signed char"),
        ("c_uchar", "unsigned char"),
        ("c_short", "short"),
        ("c_ushort", "unsigned short"),
        ("c_int", "int"),
        ("c_uint", "unsigned int"),
        ("c_long", "long"),
        ("c_ulong", "unsigned long"),
        ("c_longlong", "long long"),
        ("c_ulonglong", "unsigned long long"),
        ("c_float", "float"),
        ("c_double", "double"),
        ("core::ffi::c_int", "int"),
        ("std::os::raw::c_uint", "unsigned int"),
        ("::std::os::raw::c_ulong", "unsigned long"),
        ("::core::ffi::c_char", "char"),
        ("libc::c_int", "int"),
        ("libc::size_t", "size_t"),
        ("libc::ssize_t", "ssize_t"),
        ("ptrdiff_t", "ptrdiff_t"),
        ("intptr_t", "intptr_t"),
        ("libc::uintptr_t", "uintptr_t"),
        ("libc::off_t", "off_t"),
        ("libc::pid_t", "pid_t"),
        ("libc::uint32_t", "uint32_t"),
        ("core::primitive::u8", "uint8_t"),
    ];
    for (rust, c) in cases {
        assert_eq!(spelled(rust), c, "{rust}");
    }
}

#[test]
fn pointers_and_declarators() {
    let cases = [
        ("*const c_char", "const char *"),
        ("*mut c_char", "char *"),
        ("*mut c_void", "void *"),
        ("*const core::ffi::c_void", "const void *"),
        ("*const *mut c_char", "char *const *"),
        ("*mut *const c_char", "const char **"),
        ("*const *const c_char", "const char *const *"),
        ("*mut MyStruct", "void *"),
        ("*mut *mut sqlite3", "void **"),
        ("*const [u8; 4]", "const void *"),
        ("*mut Vec<u8>", "void *"),
        ("*mut ()", "void *"),
        ("*const u8", "const uint8_t *"),
        ("extern \"C\" fn(c_int) -> c_int", "int (*)(int)"),
        ("unsafe extern \"C\" fn()", "void (*)(void)"),
        ("extern \"C-unwind\" fn(f64) -> f64", "double (*)(double)"),
        (
            "Option<unsafe extern \"C\" fn(*const c_void, *const c_void) -> c_int>",
            "int (*)(const void *, const void *)",
        ),
        ("*mut Option<extern \"C\" fn(c_int)>", "void (**)(int)"),
        ("*const extern \"C\" fn()", "void (*const *)(void)"),
        (
            "extern \"C\" fn() -> *const c_char",
            "const char *(*)(void)",
        ),
        (
            "extern \"C\" fn() -> extern \"C\" fn(c_int)",
            "void (*(*)(void))(int)",
        ),
    ];
    for (rust, c) in cases {
        assert_eq!(spelled(rust), c, "{rust}");
    }
}

#[test]
fn named_declarators_and_prototypes() {
    let f = one_fn(
        "",
        r#"unsafe extern "C" {
            fn qsort(base: *mut c_void, n: usize, size: usize,
                     cmp: Option<unsafe extern "C" fn(*const c_void, *const c_void) -> c_int>);
        }"#,
    );
    assert_eq!(
        f.c_prototype(),
        "void qsort(void *, size_t, size_t, int (*)(const void *, const void *))"
    );
    assert_eq!(
        f.params[3].ctype.declare("p3"),
        "int (*p3)(const void *, const void *)"
    );
    let g = one_fn(
        "",
        r#"unsafe extern "C" { fn get() -> extern "C" fn(c_int) -> c_int; }"#,
    );
    assert_eq!(g.c_prototype(), "int (*get(void))(int)");
    let h = one_fn("", r#"unsafe extern "C" { fn name() -> *const c_char; }"#);
    assert_eq!(h.c_prototype(), "const char *name(void)");
    assert_eq!(h.ret.declare("r"), "const char *r");
}

#[test]
fn unit_return_is_void_however_written() {
    let a = one_fn("", r#"unsafe extern "C" { fn a(); }"#);
    let b = one_fn("", r#"unsafe extern "C" { fn b() -> (); }"#);
    assert!(a.ret.is_void() && b.ret.is_void());
    assert!(a.ret_ty.is_none() && b.ret_ty.is_none());
    assert_eq!(b.c_prototype(), "void b(void)");
}

#[test]
fn typedefs_need_a_header_and_keep_their_name() {
    let f = one_fn(
        "header = \"mylib.h\"",
        r#"unsafe extern "C" { fn f(x: ffi::my_int, cb: my_cb_t) -> my_int; }"#,
    );
    assert_eq!(f.c_prototype(), "my_int f(my_int, my_cb_t)");
    let CType::Named(named) = &f.params[0].ctype else {
        panic!("{:?}", f.params[0].ctype)
    };
    assert_eq!((named.name.as_str(), named.in_option), ("my_int", false));
    assert_eq!(named.resolved, None);
    assert_eq!(f.named_types().len(), 3);
    let layout = f.layout();
    assert_eq!(layout.fields[0].offset, Some(0));
    assert_eq!(layout.fields[1].offset, None);
    assert_eq!(layout.size, None);
    assert!(!layout.is_known());
}

#[test]
fn layout_char_double_pointer() {
    let f = one_fn(
        "",
        r#"unsafe extern "C" { fn f(a: c_char, b: f64, c: *const c_void); }"#,
    );
    let layout = f.layout();
    let offsets: Vec<_> = layout.fields.iter().map(|f| f.offset.unwrap()).collect();
    assert_eq!(offsets, [0, 8, 16]);
    assert_eq!((layout.size, layout.align), (Some(24), Some(8)));
    assert!(layout.ret().is_none());
}

#[test]
fn layout_with_return_and_errno() {
    let f = one_fn(
        "errno",
        r#"unsafe extern "C" { fn f(a: c_short, b: c_int) -> c_char; }"#,
    );
    let layout = f.layout();
    let fields: Vec<_> = layout
        .fields
        .iter()
        .map(|f| {
            (
                f.role,
                f.rust_name(),
                f.c_name(),
                f.offset.unwrap(),
                f.size.unwrap(),
            )
        })
        .collect();
    assert_eq!(
        fields,
        [
            (FieldRole::Param(0), "p0".into(), "p0".into(), 0, 2),
            (FieldRole::Param(1), "p1".into(), "p1".into(), 4, 4),
            (FieldRole::Return, "r".into(), "r".into(), 8, 1),
            (FieldRole::Errno, "errno".into(), "err".into(), 12, 4),
        ]
    );
    assert_eq!((layout.size, layout.align), (Some(16), Some(4)));
}

#[test]
fn layout_of_add_and_empty_frames() {
    let add = one_fn(
        "",
        r#"unsafe extern "C" { fn add(a: c_int, b: c_int) -> c_int; }"#,
    );
    assert_eq!(add.layout().size, Some(12));
    let empty = one_fn("", r#"unsafe extern "C" { fn tick(); }"#);
    assert!(empty.layout().is_empty());
    assert_eq!(empty.layout().size, Some(0));
    let fnptr = one_fn(
        "",
        r#"unsafe extern "C" { fn f(x: u8, cb: Option<extern "C" fn()>) -> bool; }"#,
    );
    let offsets: Vec<_> = fnptr
        .layout()
        .fields
        .iter()
        .map(|f| f.offset.unwrap())
        .collect();
    assert_eq!(offsets, [0, 8, 16]);
    assert_eq!(fnptr.layout().size, Some(24));
}

#[test]
fn every_known_scalar_has_a_consistent_size() {
    for (rust, s) in coffi_syntax::Scalar::known() {
        assert!([1, 2, 4, 8].contains(&s.size()), "{rust}");
        assert_eq!(spelled(rust), s.c_name());
    }
}
