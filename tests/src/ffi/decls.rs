//! Declarations as users and bindgen write them, in a module file the build
//! script finds by following `mod decls;` in `ffi.rs`: `type` aliases of C
//! types (an opaque handle, an enum as bindgen spells it, fn pointers, used
//! as `Option<Alias>`), `#[cfg]`-exclusive declarations of one function,
//! and a callback whose parameters are aliases.

use core::ffi::{c_int, c_long, c_uint, c_void};

/// The C `struct tally`, which Rust only points to.
#[repr(C)]
pub struct Tally {
    _private: [u8; 0],
}

/// An opaque handle, as a C library's `typedef struct tally *tally_t`.
pub type tally_handle = *mut Tally;
/// The C `enum shade`, as bindgen writes it (`header` has no typedef of
/// this name: the alias resolves to `unsigned int` on the Rust side).
pub type shade = c_uint;
/// The light shade.
pub const SHADE_LIGHT: shade = 1;
/// The dark shade.
pub const SHADE_DARK: shade = 7;
/// A value, through an alias of an alias.
pub type value_t = tally_value;
/// A value.
pub type tally_value = c_long;
/// The C `tally_visitor`.
pub type tally_visitor = unsafe extern "C" fn(data: *mut c_void, value: value_t) -> c_int;
/// qsort's comparison.
pub type compare_fn = unsafe extern "C" fn(*const c_void, *const c_void) -> c_int;
/// A scale factor.
pub type factor_t = c_uint;

#[coffi::foreign_call(header = "c/decls.h")]
unsafe extern "C" {
    /// A new tally starting at `start`.
    pub fn tally_new(start: value_t) -> tally_handle;
    /// Adds `by`, returns the new value.
    pub fn tally_add(t: tally_handle, by: value_t) -> value_t;
    /// Frees the tally.
    pub fn tally_free(t: tally_handle);
    /// `SHADE_DARK` above 100, else `SHADE_LIGHT`.
    pub safe fn shade_of(x: c_int) -> shade;
    /// `visit(data, value)`, or -1 without a visitor.
    pub fn tally_visit(t: tally_handle, visit: Option<tally_visitor>, data: *mut c_void) -> c_int;
    /// `decls_scale(value, 3)`: C calling the exported callback below.
    pub fn tally_scaled(t: tally_handle) -> value_t;
    /// Declared for Windows only, and by no header: without cfg evaluation
    /// the shim would call an undeclared function that does not exist.
    #[cfg(windows)]
    pub fn decls_only_on_windows() -> c_int;
}

/// libc's `qsort` again, its comparison named by an alias: no header, and
/// the same C prototype as `ffi::qsort` (else the build script would
/// reject the second declaration).
#[coffi::foreign_call]
unsafe extern "C" {
    /// libc's `qsort`.
    #[link_name = "qsort"]
    pub fn qsort_by(base: *mut c_void, n: usize, size: usize, cmp: Option<compare_fn>);
}

// Two declarations of one function, for 64- and 32-bit targets: the build
// script evaluates the cfgs and bridges only the first.
#[cfg(target_pointer_width = "64")]
#[coffi::foreign_call]
unsafe extern "C" {
    /// `0x1234567890` as a C `long`.
    #[link_name = "decls_word"]
    pub safe fn decls_word_evaluated() -> i64;
}
#[cfg(not(target_pointer_width = "64"))]
#[coffi::foreign_call]
unsafe extern "C" {
    /// The 32-bit C `long`.
    #[link_name = "decls_word"]
    pub safe fn decls_word_evaluated() -> i32;
}

// The same under a cfg Cargo does not tell build scripts: both are kept,
// and the build script compiles both shims (only one is linked in).
#[cfg(coffi_tests_unset)]
#[coffi::foreign_call]
unsafe extern "C" {
    /// Not compiled.
    #[link_name = "decls_long"]
    pub safe fn decls_word_unknown() -> i32;
}
#[cfg(not(coffi_tests_unset))]
#[coffi::foreign_call]
unsafe extern "C" {
    /// `-0x1234567890` as a C `long`.
    #[link_name = "decls_long"]
    pub safe fn decls_word_unknown() -> c_long;
}

/// Adds `value` to the `i64` at `data`; returns 1.
#[coffi::export_callback]
pub extern "C" fn decls_add_to(data: *mut c_void, value: value_t) -> c_int {
    // SAFETY: the tests pass a pointer to a live `i64`.
    unsafe { *data.cast::<i64>() += value };
    1
}

/// `value * factor`, called by C (`tally_scaled`) through the prototype
/// `coffi_export.h` spells from these aliases.
#[coffi::export_callback]
pub extern "C" fn decls_scale(value: value_t, factor: factor_t) -> value_t {
    value * c_long::from(factor)
}

/// Orders `c_int`s downwards.
#[coffi::export_callback]
pub extern "C" fn decls_descending(a: *const c_void, b: *const c_void) -> c_int {
    // SAFETY: qsort passes pointers into the `c_int` array being sorted.
    let (a, b) = unsafe { (*a.cast::<c_int>(), *b.cast::<c_int>()) };
    b.cmp(&a) as c_int
}

/// A 2-vector, by value.
#[repr(C)]
#[derive(coffi::CStruct, Clone, Copy, Debug, PartialEq)]
pub struct Vec2 {
    /// x.
    pub x: f64,
    /// y.
    pub y: f64,
}

/// A nested struct with an array field, by value.
#[repr(C)]
#[derive(coffi::CStruct, Clone, Copy, Debug, PartialEq)]
pub struct Segment {
    /// Both ends.
    pub ends: [Vec2; 2],
    /// An id.
    pub id: c_int,
}

/// Fields with padding between them, by value.
#[repr(C)]
#[derive(coffi::CStruct, Clone, Copy, Debug, PartialEq)]
pub struct Sample {
    /// A tag.
    pub tag: u8,
    /// A value.
    pub value: i64,
    /// Three bytes.
    pub bytes: [u8; 3],
}

/// The header's `decls_version` typedef, by value.
#[repr(C)]
#[derive(coffi::CStruct, Clone, Copy, Debug, PartialEq)]
pub struct decls_version {
    /// Major.
    pub major: c_int,
    /// Minor.
    pub minor: c_int,
    /// Micro.
    pub micro: c_int,
}

/// The header's `decls_pair`, with its fields in the wrong order (the same
/// size and alignment): calls must fail the layout check, not read garbage.
#[repr(C)]
#[derive(coffi::CStruct, Clone, Copy, Debug, PartialEq)]
pub struct decls_pair {
    /// In C, the second field.
    pub second: c_long,
    /// In C, the first field.
    pub first: c_int,
}

#[coffi::foreign_call(header = "c/decls.h")]
unsafe extern "C" {
    /// `{a, -a}`, a struct defined outside the bridged files.
    pub safe fn decls_outside_make(a: c_int) -> crate::decls_outside;
    /// `{first, 2 * first}` in C's order.
    pub safe fn decls_pair_make(first: c_int) -> decls_pair;
    /// `{2, 7, 1}`.
    pub safe fn decls_version_info() -> decls_version;
}

#[coffi::foreign_call]
unsafe extern "C" {
    /// `a + b`.
    pub safe fn vec2_add(a: Vec2, b: Vec2) -> Vec2;
    /// The squared length plus the id.
    pub safe fn segment_length2(s: Segment) -> f64;
    /// Both ends moved by `by`, the id plus one.
    pub safe fn segment_shift(s: Segment, by: Vec2) -> Segment;
    /// Tag + 1, value * -2, bytes + 1, 2, 3.
    pub safe fn sample_next(s: Sample) -> Sample;
    /// `decls_rotate(p)` with 0.5 added to x.
    pub safe fn vec2_rotate_via_callback(p: Vec2) -> Vec2;
}

/// Rotates by 90 degrees; takes 64 KiB of stack, so that a coroutine with a
/// small stack moves to a larger window while C waits for the struct.
#[coffi::export_callback(stack = 65536)]
pub extern "C" fn decls_rotate(p: Vec2) -> Vec2 {
    let room = std::hint::black_box([1u8; 24 * 1024]);
    Vec2 {
        x: -p.y * f64::from(room[0]),
        y: p.x * f64::from(room[24 * 1024 - 1]),
    }
}
