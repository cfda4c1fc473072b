//! The one model of a coffi-annotated item, shared by `coffi-macros` (which
//! writes the Rust side: the trampoline and the callback entry) and
//! `coffi-build` (which writes the C side: the shims and `coffi_export.h`).
//! Both derive names, C spellings and frame layouts from this crate only, so
//! they cannot disagree about a frame.
//!
//! Internal to coffi: its API follows what `coffi-macros` and `coffi-build`
//! need, with no stability promise. Only that is public; everything else is
//! `pub(crate)`, so that rustc reports what nothing uses.
//!
//! | module | job |
//! |---|---|
//! | `attr` | which coffi attribute an attribute is |
//! | `c_struct` | structs that cross by value ([`check_c_struct`]) |
//! | `parse` | syn items → [`ForeignBlock`] (and dispatch of both attributes) |
//! | `callback` | syn items → [`Callback`] |
//! | `signature` | what both share: signature checks, parameters, return type, C symbol name |
//! | `types` | Rust types → [`CType`] |
//! | `resolve` | named types → C types, through the `type` aliases of the bridged files ([`TypeDefs`]) |
//! | `hints` | the errors for types that cannot cross, with what to write instead |
//! | `scalar` | the table of C scalar types ([`Scalar`]) and their Rust spellings |
//! | `c_name` | which C names a bridged or exported function may have |
//! | `diag` | error plumbing: every error at the offending tokens, with a `help:` line |
//! | `suggest` | "did you mean" by edit distance |
//! | `cdecl` | [`CType`] → C declarators (`char *const *argv`, `int (*cb)(int)`) |
//! | `layout` | the frame struct: [`FrameLayout`] |
//! | `mangle` | symbol names and the signature hash |
//! | `shim_abi` | the one calling contract between a trampoline and its shim |
//! | `options` | `#[foreign_call(blocking, errno, header = "..")]`, `#[export_callback(stack = N, on_panic = EXPR)]` |
//! | `scan` | [`scan_file`]: every annotated item of a source file |
//!
//! See [Types that cross](#types-that-cross) below.
//!
//! # `safe fn`
//!
//! `safe fn` in an `unsafe extern` block is allowed with any parameter
//! types, raw pointers included, and gives a safe Rust function, exactly as
//! Rust's own `unsafe extern` blocks do: writing `safe` is the author's
//! promise that every argument value is fine for the C function. coffi does
//! not second-guess it (`safe fn strlen(s: *const c_char) -> usize` is as
//! unsound with coffi as without).
//!
//! # Target
//!
//! Sizes and alignments are those of LP64 Linux (x86_64, aarch64). The
//! generated code asserts them against both compilers, so another target
//! fails to build rather than corrupting frames.
//!
//! # Example
//!
//! ```
//! let block: syn::ItemForeignMod = syn::parse_str(
//!     r#"unsafe extern "C" { pub fn add(a: c_int, b: c_int) -> c_int; }"#,
//! )
//! .unwrap();
//! let model = coffi_syntax::parse_foreign_block(Default::default(), block).unwrap();
//! let add = &model.fns[0];
//! assert_eq!(add.c_prototype(), "int add(int, int)");
//! assert_eq!(add.layout().size, Some(12));
//! assert!(add.shim_symbol().starts_with("__coffi_shim_add_"));
//! ```

#![doc = ""]
#![doc = include_str!("../types_that_cross.md")]
#![deny(unsafe_op_in_unsafe_fn)]
#![forbid(unsafe_code)]
#![warn(missing_docs)]
// Everything that is not re-exported below is `pub(crate)`, so that rustc
// reports what nothing uses.
#![warn(unreachable_pub)]

mod attr;
mod c_name;
mod c_struct;
mod callback;
mod cdecl;
mod diag;
mod hints;
mod layout;
mod mangle;
mod model;
mod options;
mod parse;
mod resolve;
mod scalar;
mod scan;
pub mod shim_abi;
mod signature;
mod suggest;
mod types;

pub use c_struct::check_c_struct;
pub use cdecl::structs_by_value;
pub use diag::pretty;
pub use layout::{FieldRole, FrameField, FrameLayout, LAYOUT_FACTOR, LAYOUT_SEED};
pub use mangle::fnv1a64;
pub use model::{Annotated, Callback, FnSafety, ForeignBlock, ForeignFn, Param};
pub use options::{
    CallbackOptions, DEFAULT_CALLBACK_STACK, ForeignOptions, Header, MAX_CALLBACK_STACK, OnPanic,
    parse_callback_options, parse_foreign_options,
};
pub use parse::{parse_export_callback, parse_foreign_block, parse_foreign_call};
pub use resolve::TypeDefs;
pub use scalar::{Scalar, ScalarName};
pub use scan::{item_attrs_mut, scan_file};
pub use types::{CAbi, CType, FnPtr, Named, Pointer, Shape, StructType};
