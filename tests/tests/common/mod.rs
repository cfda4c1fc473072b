//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::process::{Command, Output};

const CHILD_ENV: &str = "COFFI_TEST_CHILD";

/// True in the child process started by [`run_in_child`] for `scenario`.
pub fn is_child(scenario: &str) -> bool {
    std::env::var(CHILD_ENV).as_deref() == Ok(scenario)
}

/// Re-runs this test binary, only test `test`, with `scenario` set.
pub fn run_in_child(test: &str, scenario: &str) -> Output {
    Command::new(std::env::current_exe().expect("test binary path"))
        .args([test, "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD_ENV, scenario)
        .env("RUST_BACKTRACE", "0")
        .output()
        .expect("re-run the test binary")
}

/// Asserts that the child died and said every one of `needles` on stderr.
pub fn assert_died_with(out: &Output, needles: &[&str]) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success(),
        "the child should have died; stderr:\n{stderr}"
    );
    for needle in needles {
        assert!(
            stderr.contains(needle),
            "stderr lacks {needle:?}:\n{stderr}"
        );
    }
}

/// The panic message of a payload.
pub fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_default()
}

/// The runtime the seed scenarios run on: 16 KiB first window, strict mode.
pub fn strict_16k() -> coffi::Builder {
    coffi::Builder::new().initial_stack(16 * 1024).strict(true)
}
