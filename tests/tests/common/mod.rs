//! Helpers shared by the integration tests.
// Each test binary compiles this module and uses only part of it.
#![allow(dead_code, unused_imports)]

// The child-process harness, shared with the runtime's own tests.
pub use coffi_test_support::{assert_died_with, is_child, panic_message, run_in_child};

/// The runtime the seed scenarios run on: 16 KiB first window, strict mode.
pub fn strict_16k() -> coffi::Builder {
    coffi::Builder::new().initial_stack(16 * 1024).strict(true)
}
