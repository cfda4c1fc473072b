//! The UI suite of coffi's macros, run by `tests/ui.rs` with
//! [trybuild](https://docs.rs/trybuild) (`cargo test -p coffi-ui-tests`;
//! `TRYBUILD=overwrite` rewrites the snapshots, which must then be read).
//!
//! - `ui/*.rs`: every misuse of `#[foreign_call]` and `#[export_callback]`,
//!   one file each, with the committed compiler output in `ui/*.stderr`:
//!   an error at the offending token with a `help:` line saying what to
//!   write instead. `tests/build_script.rs` checks that `coffi_build`
//!   rejects each file with the same message at the same line and column.
//! - `pass/*.rs`: uses that must compile, and run. `build.rs` bridges them
//!   with `coffi_build` exactly as an application's build script would, with
//!   the C of `c/mini.c`; each case names this crate
//!   (`use coffi_ui_tests as _;`) so that its binary links those shims.
//!
//! This library itself is empty: it only carries the shims of `pass/`.
//!
//! # Decisions the cases record
//!
//! - A `safe fn` may take raw pointers (`pass/safe_fn_raw_pointer.rs`), as
//!   in Rust's own `unsafe extern` blocks: `safe` is the author's promise.
//! - `errno` on a function returning nothing works and returns
//!   `coffi::Errno` (`pass/errno_void.rs`).
//! - Statics in a `#[foreign_call]` block are an error pointing at
//!   `static` (`ui/static_in_block.rs`): declare them in a plain block.
//! - Type aliases: the macro sees names only. An alias named like a C
//!   scalar (`c_int`, `size_t`) must be that Rust type, checked at compile
//!   time (`ui/alias_shadows_c_name.rs`, `ui/callback_alias_wrong_type.rs`);
//!   any other name is a C typedef, which needs `header = ".."`, and its
//!   Rust type must cross (`ui/alias_to_string.rs`; `pass/type_aliases.rs`).
//! - Two callbacks exporting one C symbol in a crate collide as two
//!   crate-level macros named after the symbol (E0428 at the second one;
//!   `ui/callback_same_c_name.rs`), not at link time.
//! - Calling a generated `unsafe fn` without `unsafe` is the compiler's
//!   E0133 at the call (`ui/call_unsafe_fn_without_unsafe.rs`).
