//! coffi: Go's cgo call model for Rust stackful coroutines.
//!
//! Coroutines run on small stacks that can move; every C function runs on
//! the scheduler stack, which is large; C → Rust callbacks run back on the
//! coroutine's stack, which moves to a larger window first when the callback
//! needs more room than is free.
//!
//! ```text
//! coroutine stack (window Wn)        scheduler stack (per thread, 8 MiB default)
//!   user code
//!   trampoline: Frame{args.., r} ──►  shim(void *a, top):  top0 = *top
//!                                        r = c_function(a->p0, ..)
//!                                           └─ calls back ──► callback entry
//!   callback body  ◄──────────────────────────────────────────  switch back onto the
//!   (may need room: relocate Wn→Wn+1)                            coroutine's current window
//!                                        a += *top - top0
//!                                        a->r = r
//!   trampoline reads Frame.r  ◄──────
//! ```
//!
//! Stacks move by *aliasing*: a relocation maps a larger window of the same
//! shared-memory backing at a new address. The used part shows up at the top
//! of the new window on the same physical pages; nothing is copied, old
//! windows stay mapped until the coroutine ends, and every pointer into the
//! stack stays valid. [`Builder::strict`] write-protects old windows during a
//! foreign call that moved the stack, so a stale pointer faults at once.
//!
//! ```
//! let total = coffi::run(|| {
//!     let workers: Vec<_> = (1..=4u32)
//!         .map(|i| coffi::spawn(move || coffi::maybe_grow(64 * 1024, move || i * 10)))
//!         .collect();
//!     workers.into_iter().map(|w| w.join().unwrap()).sum::<u32>()
//! });
//! assert_eq!(total, 100);
//! assert!(coffi::stats().relocations >= 4);
//! ```
//!
//! The C side: [`#[foreign_call]`](foreign_call) on an `extern "C"` block,
//! [`#[export_callback]`](export_callback) on Rust functions C calls, and
//! [`coffi_build::bridge`](https://docs.rs/coffi-build) in `build.rs`, which
//! generates and compiles the C shims. With `coffi` in `[dependencies]` and
//! `coffi-build` in `[build-dependencies]`:
//!
//! ```ignore
//! // src/ffi.rs
//! use core::ffi::c_int;
//!
//! #[coffi::foreign_call]
//! unsafe extern "C" {
//!     pub safe fn abs(x: c_int) -> c_int;
//! }
//!
//! // build.rs
//! fn main() {
//!     coffi_build::bridge("src/ffi.rs").compile("myffi");
//! }
//! ```
//!
//! The parameter and return types a foreign call or a callback may have are
//! listed in [Types that cross](#types-that-cross) below.
//!
//! Limits: x86_64 and aarch64 Linux. A `fork` gives the child its
//! runtime's stacks on memory of its own (see the README).
//!
#![doc = include_str!("types_that_cross.md")]
#![deny(unsafe_op_in_unsafe_fn)]
#![warn(missing_docs)]

mod arch;
mod blocking_pool;
mod builder;
mod callpath;
mod context;
mod error;
mod fault;
mod ffi;
mod fork;
mod info;
mod join;
pub mod net;
mod os;
mod panic_hook;
mod scheduler;
mod shim_abi;
mod spawn;
mod spin;
mod stack;
mod stats;
mod valgrind;
mod wait;

#[doc(hidden)]
pub mod __private;

pub use builder::{
    Builder, DEFAULT_BLOCKING_THREADS, DEFAULT_INITIAL_STACK, DEFAULT_MAX_STACK,
    DEFAULT_SCHEDULER_STACK, run,
};
pub use callpath::maybe_grow;
pub use coffi_macros::{CStruct, export_callback, foreign_call};
pub use error::{Error, ErrorKind};
pub use ffi::{Errno, coffi_topofstack};
pub use info::{StackInfo, stack_info, stats};
pub use join::JoinHandle;
pub use scheduler::yield_now;
pub use spawn::{spawn, try_spawn};
pub use stats::Stats;
pub use wait::{sleep, wait};
