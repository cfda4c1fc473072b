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
//! # What the build script reads
//!
//! - `mod name;` declarations are followed as rustc follows them
//!   (`name.rs`, `name/mod.rs`, `#[path = ".."]`); a file given to
//!   [`bridge`] that is a crate root other than `lib.rs`/`main.rs` has its
//!   modules beside it, which is tried when rustc's layout is absent.
//! - `#[cfg(..)]` on items, modules and extern block functions is evaluated
//!   for the crate being built from Cargo's `CARGO_CFG_*` and
//!   `CARGO_FEATURE_*` (`feature`, `target_os`, `target_arch`,
//!   `target_pointer_width`, `target_family`, `unix`, `windows`, `all`,
//!   `any`, `not`, ...): a disabled item gets no shim. A cfg Cargo does not
//!   pass to build scripts (`test`, a custom `--cfg`) keeps the item, and two
//!   such items may then declare one C function differently: both shims are
//!   compiled, the second declaring the function under another C name bound
//!   to the symbol (`__asm__`).
//! - `type` aliases of every bridged file resolve to the C types they name
//!   (see `coffi_syntax::TypeDefs`).
//! - Each shim line carries `#line` with the Rust file and line of its
//!   declaration, so a C compiler's error in a shim names the Rust item.
//!
//! Not read: items produced by macros, attributes imported under another
//! name (`use coffi::foreign_call as fc`).

#![deny(unsafe_op_in_unsafe_fn)]
#![forbid(unsafe_code)]
#![warn(missing_docs)]
// The examples are build scripts: their `fn main` is the point.
#![allow(clippy::needless_doctest_main)]

mod bridge;
mod cfg;
mod error;
mod generate;
mod headers;
mod modules;
mod shim;
mod source;

pub use bridge::{bridge, bridges};
pub use error::{Diagnostic, Error};
pub use generate::{Generated, generate, generate_sources};
pub use headers::COFFI_H;
