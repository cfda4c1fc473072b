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
//! # bindgen
//!
//! bindgen writes one `extern "C"` block per function (or a few merged
//! ones), without coffi's attribute. [`bridge_bindgen`] takes the file it
//! wrote and the header, and writes a copy into `OUT_DIR` with every block
//! under `#[coffi::foreign_call(header = "..")]`; bridge that copy and
//! `include!` it instead of bindgen's file:
//!
//! ```no_run
//! // build.rs, with bindgen and coffi-build in [build-dependencies]
//! use std::path::PathBuf;
//!
//! fn main() {
//!     let out = PathBuf::from(std::env::var("OUT_DIR").unwrap());
//!     # #[cfg(any())]
//!     bindgen::Builder::default()
//!         .header_contents("wrapper.h", "#include <zlib.h>")
//!         .allowlist_function("crc32|compress2|uncompress|compressBound")
//!         .generate()
//!         .expect("bindgen")
//!         .write_to_file(out.join("bindings.rs"))
//!         .expect("write bindings");
//!     // The one more line: mark the blocks (writes OUT_DIR/bindings_coffi.rs).
//!     let marked = coffi_build::bridge_bindgen(out.join("bindings.rs"), "<zlib.h>");
//!     coffi_build::bridge(&marked).compile("zlib_shims"); // an absolute path works
//!     println!("cargo:rustc-link-lib=z"); // after the shims, which call zlib
//! }
//! ```
//!
//! ```ignore
//! // src/lib.rs
//! #[allow(non_upper_case_globals, non_camel_case_types, non_snake_case)]
//! pub mod zlib {
//!     include!(concat!(env!("OUT_DIR"), "/bindings_coffi.rs"));
//! }
//! ```
//!
//! Give the header that declares the functions: the shims include it
//! instead of prototypes of their own, so the C compiler checks every
//! declaration against the library's, and the names the bindings use
//! (bindgen's `pub type uLong = c_ulong;`) are read as in any bridged file.
//! What coffi cannot bridge stays callable in a plain extern block,
//! on the coroutine's own stack, and one `cargo:warning` names it: variadic
//! functions (`gzprintf`), statics, and any function the macro would reject
//! (see [`LeftPlain`]); leave such functions out of bindgen's allowlist to
//! silence it. [`mark_bindgen`] does the same on text, for tests.
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

mod bindgen;
mod bridge;
mod cfg;
mod error;
mod generate;
mod headers;
mod modules;
mod shim;
mod source;

pub use bindgen::{LeftPlain, MarkedBindings, bridge_bindgen, mark_bindgen};
pub use bridge::{bridge, bridges};
pub use error::{Diagnostic, Error};
pub use generate::{Generated, generate, generate_sources};
pub use headers::COFFI_H;
