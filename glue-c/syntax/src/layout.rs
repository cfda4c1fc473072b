//! Frame layout: the `#[repr(C)]` struct through which a trampoline and its
//! C shim exchange arguments, the return value and `errno`.
//!
//! Fields, in order: `p0`, `p1`, ... (the parameters), then `r` (the return
//! value, absent for a unit return), then the saved `errno` (a C `int`, only
//! with `#[foreign_call(errno)]`). Offsets follow the C rules (each field at
//! the next multiple of its alignment; the size rounded up to the largest
//! alignment) for LP64 Linux targets (x86_64, aarch64). A typedef field has
//! a layout the model does not know: from it on, offsets and the size are
//! `None` and only the compilers can check them.

use crate::model::ForeignFn;
use crate::scalar::Scalar;
use crate::types::CType;

/// What a frame field holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FieldRole {
    /// The parameter with this index.
    Param(usize),
    /// The return value.
    Return,
    /// `errno` as the C function left it.
    Errno,
}

/// One field of a frame.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FrameField {
    /// What the field holds.
    pub role: FieldRole,
    /// Its C type.
    pub ctype: CType,
    /// Offset in bytes, when the model knows it.
    pub offset: Option<usize>,
    /// Size in bytes, when the model knows it.
    pub size: Option<usize>,
    /// Alignment in bytes, when the model knows it.
    pub align: Option<usize>,
}

impl FrameField {
    /// Field name in the Rust frame struct: `p0`.., `r`, `errno`.
    pub fn rust_name(&self) -> String {
        match self.role {
            FieldRole::Param(i) => format!("p{i}"),
            FieldRole::Return => "r".to_owned(),
            FieldRole::Errno => "errno".to_owned(),
        }
    }

    /// Field name in the C frame struct: `p0`.., `r`, `err` (`errno` is a
    /// macro in C).
    pub fn c_name(&self) -> String {
        match self.role {
            FieldRole::Errno => "err".to_owned(),
            _ => self.rust_name(),
        }
    }
}

/// The layout of a frame.
///
/// ```
/// use coffi_syntax::FrameLayout;
///
/// let f: syn::ItemForeignMod = syn::parse_str(
///     "unsafe extern \"C\" { fn f(a: c_char, b: f64, c: *const c_void) -> c_int; }",
/// )
/// .unwrap();
/// let block = coffi_syntax::parse_foreign_block(Default::default(), f).unwrap();
/// let layout: FrameLayout = block.fns[0].layout();
/// let offsets: Vec<_> = layout.fields.iter().map(|f| f.offset.unwrap()).collect();
/// assert_eq!(offsets, [0, 8, 16, 24]);
/// assert_eq!((layout.size, layout.align), (Some(32), Some(8)));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FrameLayout {
    /// The fields in order.
    pub fields: Vec<FrameField>,
    /// Total size, when the model knows it.
    pub size: Option<usize>,
    /// Alignment, when the model knows it.
    pub align: Option<usize>,
}

impl FrameLayout {
    /// Lays out fields of the given roles and types, in order.
    pub(crate) fn new(fields: impl IntoIterator<Item = (FieldRole, CType)>) -> FrameLayout {
        let mut cursor = Some(0usize);
        let mut max_align = Some(1usize);
        let fields = fields
            .into_iter()
            .map(|(role, ctype)| {
                let sa = ctype.size_align();
                let offset = match (cursor, sa) {
                    (Some(c), Some((_, a))) => Some(c.next_multiple_of(a)),
                    // Whatever its alignment, a field at the start is at 0.
                    (Some(0), None) => Some(0),
                    _ => None,
                };
                cursor = match (offset, sa) {
                    (Some(o), Some((s, _))) => Some(o + s),
                    _ => None,
                };
                max_align = match (max_align, sa) {
                    (Some(m), Some((_, a))) => Some(m.max(a)),
                    _ => None,
                };
                FrameField {
                    role,
                    offset,
                    size: sa.map(|(s, _)| s),
                    align: sa.map(|(_, a)| a),
                    ctype,
                }
            })
            .collect();
        let size = match (cursor, max_align) {
            (Some(c), Some(a)) => Some(c.next_multiple_of(a)),
            _ => None,
        };
        FrameLayout {
            fields,
            size,
            align: max_align,
        }
    }

    /// Whether the model knows every offset, the size and the alignment.
    pub fn is_known(&self) -> bool {
        self.size.is_some()
    }

    /// Whether the frame has no fields (no parameters, unit return, no
    /// `errno`): then the C shim has no frame struct.
    pub fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }

    /// The fields of named types (aliases, typedefs, structs), whose
    /// layout numbers follow the offsets in the run-time layout table.
    pub fn named_fields(&self) -> impl Iterator<Item = &FrameField> {
        self.fields
            .iter()
            .filter(|f| matches!(f.ctype, CType::Named(_)))
    }

    /// Entries of the run-time layout table of a frame the model does not
    /// know: size, alignment, each field's offset, then for each field of a
    /// named type a flag (1 when the build script knew the struct's fields,
    /// 0 when C has the type from a header alone) and its layout number
    /// ([`crate::Shape`]; its size when the flag is 0).
    pub fn table_len(&self) -> usize {
        2 + self.fields.len() + 2 * self.named_fields().count()
    }

    /// The field holding the return value, if any.
    pub fn ret(&self) -> Option<&FrameField> {
        self.fields.iter().find(|f| f.role == FieldRole::Return)
    }

    /// The field holding `errno`, if any.
    pub fn errno(&self) -> Option<&FrameField> {
        self.fields.iter().find(|f| f.role == FieldRole::Errno)
    }
}

impl ForeignFn {
    /// The frame layout of this function.
    pub fn layout(&self) -> FrameLayout {
        let params = self
            .params
            .iter()
            .enumerate()
            .map(|(i, p)| (FieldRole::Param(i), p.ctype.clone()));
        let ret = (!self.ret.is_void()).then(|| (FieldRole::Return, self.ret.clone()));
        let errno = self.options.errno.then(|| {
            let int = Scalar::from_rust_name("c_int").expect("c_int is a known scalar");
            (FieldRole::Errno, CType::Scalar(int))
        });
        FrameLayout::new(params.chain(ret).chain(errno))
    }
}

/// Seed of the layout number ([`crate::Shape::c_layout_expr`]); the runtime's
/// `coffi::__private::LAYOUT_SEED` is the same.
pub const LAYOUT_SEED: u64 = 0x9E37;
/// Factor of the layout number's fold; the runtime's
/// `coffi::__private::layout_fold` uses the same.
pub const LAYOUT_FACTOR: u64 = 131;

impl crate::types::Shape {
    /// A C constant expression of the layout number of the C type `ty`:
    /// for a struct, its size, alignment, and each field's offset and
    /// layout number folded together (`h * 131 + v`, wrapping, from
    /// [`LAYOUT_SEED`]); for an array, its length and its element's number;
    /// otherwise the size. Fields are named `field_name(rust_name)`.
    ///
    /// ```
    /// use coffi_syntax::Shape;
    ///
    /// let point = Shape::Struct(vec![("x".into(), Shape::Sized)]);
    /// let expr = point.c_layout_expr("struct P", &|f: &str| f.to_owned());
    /// for part in [
    ///     "40503ULL",
    ///     "sizeof(struct P)",
    ///     "_Alignof(struct P)",
    ///     "offsetof(struct P, x)",
    ///     "sizeof(__typeof__(((struct P *)0)->x))",
    /// ] {
    ///     assert!(expr.contains(part), "{part} in {expr}");
    /// }
    /// ```
    pub fn c_layout_expr(&self, ty: &str, field_name: &dyn Fn(&str) -> String) -> String {
        use crate::types::Shape;
        let fold = |h: String, v: String| -> String {
            format!("(({h}) * {LAYOUT_FACTOR}ULL + (unsigned long long)({v}))")
        };
        let seed = format!("{LAYOUT_SEED}ULL");
        match self {
            Shape::Sized => format!("(unsigned long long)sizeof({ty})"),
            Shape::Struct(fields) => {
                let mut h = fold(seed, format!("sizeof({ty})"));
                h = fold(h, format!("_Alignof({ty})"));
                for (name, shape) in fields {
                    let c = field_name(name);
                    h = fold(h, format!("offsetof({ty}, {c})"));
                    let field_ty = format!("__typeof__((({ty} *)0)->{c})");
                    h = fold(h, shape.c_layout_expr(&field_ty, field_name));
                }
                h
            }
            Shape::Array(elem) => {
                let elem_ty = format!("__typeof__((*({ty} *)0)[0])");
                let len = format!("sizeof({ty}) / sizeof({elem_ty})");
                let h = fold(seed, len);
                fold(h, elem.c_layout_expr(&elem_ty, field_name))
            }
        }
    }
}
