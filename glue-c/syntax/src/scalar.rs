//! C scalar types and the Rust names that stand for them.

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

/// Rust names (last path segment) of the scalar types, with their C spelling
/// and size on LP64 Linux (x86_64, aarch64). Alignment equals size.
const SCALARS: &[(&str, &str, u8)] = &[
    ("i8", "int8_t", 1),
    ("i16", "int16_t", 2),
    ("i32", "int32_t", 4),
    ("i64", "int64_t", 8),
    ("u8", "uint8_t", 1),
    ("u16", "uint16_t", 2),
    ("u32", "uint32_t", 4),
    ("u64", "uint64_t", 8),
    ("isize", "ptrdiff_t", 8),
    ("usize", "size_t", 8),
    ("f32", "float", 4),
    ("f64", "double", 8),
    ("bool", "bool", 1),
    ("c_char", "char", 1),
    ("c_schar", "signed char", 1),
    ("c_uchar", "unsigned char", 1),
    ("c_short", "short", 2),
    ("c_ushort", "unsigned short", 2),
    ("c_int", "int", 4),
    ("c_uint", "unsigned int", 4),
    ("c_long", "long", 8),
    ("c_ulong", "unsigned long", 8),
    ("c_longlong", "long long", 8),
    ("c_ulonglong", "unsigned long long", 8),
    ("c_float", "float", 4),
    ("c_double", "double", 8),
    ("c_size_t", "size_t", 8),
    ("c_ssize_t", "ssize_t", 8),
    ("c_ptrdiff_t", "ptrdiff_t", 8),
    ("size_t", "size_t", 8),
    ("ssize_t", "ssize_t", 8),
    ("ptrdiff_t", "ptrdiff_t", 8),
    ("intptr_t", "intptr_t", 8),
    ("uintptr_t", "uintptr_t", 8),
    ("int8_t", "int8_t", 1),
    ("int16_t", "int16_t", 2),
    ("int32_t", "int32_t", 4),
    ("int64_t", "int64_t", 8),
    ("uint8_t", "uint8_t", 1),
    ("uint16_t", "uint16_t", 2),
    ("uint32_t", "uint32_t", 4),
    ("uint64_t", "uint64_t", 8),
    ("off_t", "off_t", 8),
    ("pid_t", "pid_t", 4),
    ("uid_t", "uid_t", 4),
    ("gid_t", "gid_t", 4),
    ("mode_t", "mode_t", 4),
    ("time_t", "time_t", 8),
];

impl Scalar {
    /// The scalar a Rust type name (the last path segment) stands for.
    pub fn from_rust_name(name: &str) -> Option<Scalar> {
        SCALARS
            .iter()
            .find(|(rust, _, _)| *rust == name)
            .map(|&(_, c, size)| Scalar { c, size })
    }

    /// Every Rust name coffi recognises as a scalar, with its C spelling.
    pub fn known() -> impl Iterator<Item = (&'static str, Scalar)> {
        SCALARS
            .iter()
            .map(|&(rust, c, size)| (rust, Scalar { c, size }))
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
