//! The build-script side of [coffi](https://docs.rs/coffi): generates the C
//! shims of `#[foreign_call]` functions and the header of
//! `#[export_callback]` functions, and hands them to [`cc`].
//!
//! ```no_run
//! // build.rs
//! fn main() {
//!     coffi_build::bridge("src/ffi.rs") // returns cc::Build, shims and include dir added
//!         .file("csrc/lib.c")           // your C, which may #include "coffi_export.h"
//!         .compile("myffi");
//! }
//! ```
//!
//! The items are found and understood by `coffi-syntax`, the same model the
//! macros use, so the shims match the trampolines (their symbols carry a
//! hash of the signature) and misuse fails the build script with the
//! macro's own words.
//!
//! # What is generated
//!
//! In `OUT_DIR`:
//!
//! - `coffi_shims_<id>.c`: for each function, its prototype (only without
//!   `header = "..."`; with it, the header is included instead), its frame
//!   struct, static assertions of the frame layout, the link marker, and the
//!   shim `void __coffi_shim_<name>_<hash>(void *frame, const volatile
//!   uintptr_t *top)` (the contract of `coffi_syntax::shim_abi`), which
//!   calls the function and stores the results through a frame pointer
//!   re-derived after the call from how far `*top`, the running coroutine's
//!   window top that the runtime passes, moved during it;
//! - `coffi-include/coffi.h`: declares `uintptr_t coffi_topofstack(void)`
//!   (the same top, for C code that wants it; the shims do not call it) and
//!   includes `<errno.h>`, `<stdbool.h>`, `<stddef.h>`, `<stdint.h>`,
//!   `<sys/types.h>`;
//! - `coffi-include/coffi_export.h`: the prototypes of the exported
//!   callbacks (like cgo's `_cgo_export.h`).
//!
//! [`generate`] and [`generate_sources`] give the same text without
//! touching the file system, e.g. for tests.
//!
//! # When the build script is not wired
//!
//! Each trampoline references `coffi_build_bridge_missing_for__<name>_<hash>`,
//! which only the generated C defines: forgetting `coffi_build::bridge`
//! (or bridging a stale or different file) fails the link with an undefined
//! reference to that name.
//!
//! # Limits
//!
//! The scan reads each file as written: it does not follow `mod name;`
//! (bridge those files too), expand macros, evaluate `#[cfg]` (every
//! annotated item gets a shim), or see attributes imported under another
//! name.

#![deny(unsafe_op_in_unsafe_fn)]
#![forbid(unsafe_code)]
#![warn(missing_docs)]
// The examples are build scripts: their `fn main` is the point.
#![allow(clippy::needless_doctest_main)]

mod bindgen;
mod bridge;
mod error;
mod generate;
mod headers;
mod shim;
mod source;

pub use bindgen::{LeftPlain, MarkedBindings, bridge_bindgen, mark_bindgen};
pub use bridge::{bridge, bridges};
pub use error::{Diagnostic, Error};
pub use generate::{Generated, generate, generate_sources};
pub use headers::COFFI_H;
