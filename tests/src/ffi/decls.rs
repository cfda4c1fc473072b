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
