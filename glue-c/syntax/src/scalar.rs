//! C scalar types and the Rust names that stand for them: the one table
//! of scalars, for the C side (spelling, size) and the Rust side (which
//! Rust types a name must be).

use proc_macro2::{Ident, Span, TokenStream};
use quote::quote;

/// A C scalar type: an integer, a floating point type or `bool`.
///
/// ```
/// use coffi_syntax::Scalar;
///
/// let int = Scalar::from_rust_name("c_int").unwrap();
/// assert_eq!((int.c_name(), int.size(), int.align()), ("int", 4, 4));
/// assert_eq!(Scalar::from_rust_name("usize").unwrap().c_name(), "size_t");
/// assert!(Scalar::from_rust_name("String").is_none());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Scalar {
    c: &'static str,
    size: u8,
}

/// Every Rust name (last path segment) of a scalar type: its C spelling,
/// its size on LP64 Linux (x86_64, aarch64; alignment equals size), and
/// where the Rust type of that name lives.
const SCALARS: &[Entry] = &[
    entry("i8", "int8_t", 1, Primitive),
    entry("i16", "int16_t", 2, Primitive),
    entry("i32", "int32_t", 4, Primitive),
    entry("i64", "int64_t", 8, Primitive),
    entry("u8", "uint8_t", 1, Primitive),
    entry("u16", "uint16_t", 2, Primitive),
    entry("u32", "uint32_t", 4, Primitive),
    entry("u64", "uint64_t", 8, Primitive),
    entry("isize", "ptrdiff_t", 8, Primitive),
    entry("usize", "size_t", 8, Primitive),
    entry("f32", "float", 4, Primitive),
    entry("f64", "double", 8, Primitive),
    entry("bool", "bool", 1, Primitive),
    entry("c_char", "char", 1, CoreFfi),
    entry("c_schar", "signed char", 1, CoreFfi),
    entry("c_uchar", "unsigned char", 1, CoreFfi),
    entry("c_short", "short", 2, CoreFfi),
    entry("c_ushort", "unsigned short", 2, CoreFfi),
    entry("c_int", "int", 4, CoreFfi),
    entry("c_uint", "unsigned int", 4, CoreFfi),
    entry("c_long", "long", 8, CoreFfi),
    entry("c_ulong", "unsigned long", 8, CoreFfi),
    entry("c_longlong", "long long", 8, CoreFfi),
    entry("c_ulonglong", "unsigned long long", 8, CoreFfi),
    entry("c_float", "float", 4, CoreFfi),
    entry("c_double", "double", 8, CoreFfi),
    entry("c_size_t", "size_t", 8, Libc("usize")),
    entry("c_ssize_t", "ssize_t", 8, Libc("isize")),
    entry("c_ptrdiff_t", "ptrdiff_t", 8, Libc("isize")),
    entry("size_t", "size_t", 8, Libc("usize")),
    entry("ssize_t", "ssize_t", 8, Libc("isize")),
    entry("ptrdiff_t", "ptrdiff_t", 8, Libc("isize")),
    entry("intptr_t", "intptr_t", 8, Libc("isize")),
    entry("uintptr_t", "uintptr_t", 8, Libc("usize")),
    entry("int8_t", "int8_t", 1, Libc("i8")),
    entry("int16_t", "int16_t", 2, Libc("i16")),
    entry("int32_t", "int32_t", 4, Libc("i32")),
    entry("int64_t", "int64_t", 8, Libc("i64")),
    entry("uint8_t", "uint8_t", 1, Libc("u8")),
    entry("uint16_t", "uint16_t", 2, Libc("u16")),
    entry("uint32_t", "uint32_t", 4, Libc("u32")),
    entry("uint64_t", "uint64_t", 8, Libc("u64")),
    entry("off_t", "off_t", 8, Libc("i64")),
    entry("pid_t", "pid_t", 4, Libc("i32")),
    entry("uid_t", "uid_t", 4, Libc("u32")),
    entry("gid_t", "gid_t", 4, Libc("u32")),
    entry("mode_t", "mode_t", 4, Libc("u32")),
    entry("time_t", "time_t", 8, Libc("i64")),
];

/// Where the Rust type of a scalar name lives.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Home {
    /// The Rust primitive of that name (`u32`, `usize`, `bool`).
    Primitive,
    /// `core::ffi`, whose definitions vary by target (`c_int`, `c_long`).
    CoreFfi,
    /// A `libc` alias of this primitive on LP64 Linux (`size_t` is `usize`).
    Libc(&'static str),
}

use Home::{CoreFfi, Libc, Primitive};

#[derive(Debug, PartialEq, Eq)]
struct Entry {
    rust: &'static str,
    scalar: Scalar,
    home: Home,
}

const fn entry(rust: &'static str, c: &'static str, size: u8, home: Home) -> Entry {
    Entry {
        rust,
        scalar: Scalar { c, size },
        home,
    }
}

impl Scalar {
    /// The scalar a Rust type name (the last path segment) stands for.
    pub fn from_rust_name(name: &str) -> Option<Scalar> {
        ScalarName::find(name).map(|n| n.scalar())
    }

    /// Every Rust name coffi recognises as a scalar, with its C spelling.
    pub fn known() -> impl Iterator<Item = (&'static str, Scalar)> {
        SCALARS.iter().map(|e| (e.rust, e.scalar))
    }

    /// C spelling, e.g. `unsigned long`.
    pub fn c_name(&self) -> &'static str {
        self.c
    }

    /// Size in bytes on LP64 Linux.
    pub fn size(&self) -> usize {
        usize::from(self.size)
    }

    /// Alignment in bytes on LP64 Linux (equal to the size).
    pub fn align(&self) -> usize {
        usize::from(self.size)
    }
}

/// A Rust name of a C scalar as written in a signature (`c_int`, `size_t`,
/// `u32`), with the Rust types it must stand for: the expansion checks that
/// a local alias or import does not shadow it.
///
/// ```
/// use coffi_syntax::ScalarName;
///
/// let size_t = ScalarName::find("size_t").unwrap();
/// assert_eq!(size_t.canonical_path(), "libc::size_t");
/// let types: Vec<String> = size_t.rust_types().iter().map(|t| t.to_string()).collect();
/// assert_eq!(types, [":: core :: primitive :: usize", ":: core :: primitive :: u64"]);
/// assert_eq!(ScalarName::find("c_int").unwrap().canonical_path(), "core::ffi::c_int");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ScalarName {
    entry: &'static Entry,
}

impl ScalarName {
    /// The scalar name `name` (a last path segment), if it is one.
    pub fn find(name: &str) -> Option<ScalarName> {
        SCALARS
            .iter()
            .find(|e| e.rust == name)
            .map(|entry| ScalarName { entry })
    }

    /// The name, e.g. `c_int`.
    pub fn name(&self) -> &'static str {
        self.entry.rust
    }

    /// The C scalar it stands for.
    pub fn scalar(&self) -> Scalar {
        self.entry.scalar
    }

    /// The path to write so that nothing shadows the name, for messages:
    /// `core::ffi::c_int`, `usize`, `libc::size_t`.
    pub fn canonical_path(&self) -> String {
        let name = self.entry.rust;
        match self.entry.home {
            Primitive => name.to_owned(),
            CoreFfi => format!("core::ffi::{name}"),
            Libc(_) => format!("libc::{name}"),
        }
    }

    /// The Rust types the name may resolve to: `::core::ffi::c_int` for
    /// `c_int`; the primitive for a primitive's name; for a `libc` name, the
    /// primitive it is on LP64 Linux, and for `usize`/`isize` also
    /// `u64`/`i64`, which is what bindgen's `pub type size_t = c_ulong;`
    /// says (the same C type on LP64).
    pub fn rust_types(&self) -> Vec<TokenStream> {
        let name = self.entry.rust;
        let primitive = |p: &str| {
            let id = Ident::new(p, Span::call_site());
            quote!(::core::primitive::#id)
        };
        match self.entry.home {
            CoreFfi => {
                let id = Ident::new(name, Span::call_site());
                vec![quote!(::core::ffi::#id)]
            }
            Primitive => vec![primitive(name)],
            Libc("usize") => vec![primitive("usize"), primitive("u64")],
            Libc("isize") => vec![primitive("isize"), primitive("i64")],
            Libc(p) => vec![primitive(p)],
        }
    }
}
