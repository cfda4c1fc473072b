//! Process helpers shared by coffi's test suites (`coffi`'s own
//! `runtime/tests/` and `coffi-tests`' `tests/tests/`), and by the soak run.
//!
//! Tests of behaviour that must kill the process (a stack overflow, a strict
//! mode fault, an abort) run that scenario in a child: the test re-runs its own
//! binary, filtered to itself, with [`CHILD_ENV`] naming the scenario; the
//! child sees [`is_child`] true and does the fatal thing; the parent checks how
//! it died with [`assert_died_with`].
//!
//! ```no_run
//! use coffi_test_support::{assert_died_with, is_child, run_in_child};
//!
//! #[test]
//! fn aborting_says_why() {
//!     if is_child("abort") {
//!         eprintln!("giving up");
//!         std::process::abort();
//!     }
//!     let out = run_in_child("aborting_says_why", "abort");
//!     assert_died_with(&out, &["giving up"]);
//! }
//! ```
//!
//! The `/proc/self` readings ([`mappings`], [`rss_kib`], [`open_fds`]) are
//! Linux only, like coffi.

use std::any::Any;
use std::process::{Command, Output};

/// Name of the environment variable that tells a re-executed test binary
/// which scenario to run.
pub const CHILD_ENV: &str = "COFFI_TEST_CHILD";

/// True in the child process started by [`run_in_child`] for `scenario`.
pub fn is_child(scenario: &str) -> bool {
    std::env::var(CHILD_ENV).as_deref() == Ok(scenario)
}

/// Re-runs the current test binary, only test `test` (an exact name, on one
/// test thread, output not captured), with `scenario` set, and returns its
/// output. `RUST_BACKTRACE=0` keeps the child's stderr short.
pub fn run_in_child(test: &str, scenario: &str) -> Output {
    let exe = std::env::current_exe().expect("test binary path");
    Command::new(exe)
        .args([test, "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD_ENV, scenario)
        .env("RUST_BACKTRACE", "0")
        .output()
        .expect("re-run the test binary")
}

/// Asserts that the child died (by a signal or a failing exit) and that its
/// stderr contains every one of `needles`; returns the stderr.
pub fn assert_died_with(out: &Output, needles: &[&str]) -> String {
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(
        !out.status.success(),
        "the child should have died, but exited with {:?}; stderr:\n{stderr}",
        out.status
    );
    for needle in needles {
        assert!(
            stderr.contains(needle),
            "stderr of the child lacks {needle:?}:\n{stderr}"
        );
    }
    stderr
}

/// Asserts that the child exited successfully and that its stdout contains
/// every one of `needles` (markers it prints once its checks passed);
/// returns its stderr.
pub fn assert_succeeded_with(out: &Output, needles: &[&str]) -> String {
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(
        out.status.success(),
        "the child failed with {:?}; stdout:\n{stdout}\nstderr:\n{stderr}",
        out.status
    );
    for needle in needles {
        assert!(
            stdout.contains(needle),
            "stdout of the child lacks {needle:?}:\n{stdout}\nstderr:\n{stderr}"
        );
    }
    stderr
}

/// The message of a panic payload (`panic!` with a literal or with format
/// arguments), or `""` for any other payload.
pub fn panic_message(payload: &(dyn Any + Send)) -> String {
    payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_default()
}

/// Number of memory mappings of this process (lines of `/proc/self/maps`).
pub fn mappings() -> usize {
    std::fs::read_to_string("/proc/self/maps")
        .expect("read /proc/self/maps")
        .lines()
        .count()
}

/// A `kB` field of `/proc/self/status` (`"VmRSS"`, `"RssShmem"`, `"VmPTE"`,
/// ..), in KiB; `None` when the kernel does not report it.
pub fn status_kib(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status.lines().find_map(|line| {
        let rest = line.strip_prefix(field)?.strip_prefix(':')?;
        rest.split_whitespace().next()?.parse().ok()
    })
}

/// Resident set size of this process in KiB (`VmRSS` of `/proc/self/status`).
pub fn rss_kib() -> u64 {
    status_kib("VmRSS").expect("VmRSS in /proc/self/status")
}

/// Number of open file descriptors of this process (entries of
/// `/proc/self/fd`, less the one the listing itself holds open).
pub fn open_fds() -> usize {
    let entries = std::fs::read_dir("/proc/self/fd")
        .expect("list /proc/self/fd")
        .count();
    entries.saturating_sub(1)
}

/// A future many coroutines (or tasks) wait on until [`Gate::open`]: what a
/// test or bench parks coroutines on when it wants them parked on a future
/// rather than in `yield_now`.
#[derive(Clone, Default)]
pub struct Gate(std::rc::Rc<std::cell::RefCell<(bool, Vec<std::task::Waker>)>>);

impl Gate {
    /// Opens the gate: wakes every waiter, and later waits end at once.
    pub fn open(&self) {
        let wakers = {
            let mut state = self.0.borrow_mut();
            state.0 = true;
            std::mem::take(&mut state.1)
        };
        wakers.into_iter().for_each(std::task::Waker::wake);
    }

    /// Ready once the gate is open.
    pub async fn opened(self) {
        std::future::poll_fn(|cx| {
            let mut state = self.0.borrow_mut();
            if state.0 {
                return std::task::Poll::Ready(());
            }
            state.1.push(cx.waker().clone());
            std::task::Poll::Pending
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proc_readings_are_plausible() {
        assert!(mappings() > 0);
        assert!(rss_kib() > 0);
        // Counts, not exact deltas: tests of this binary run in parallel
        // and open files of their own.
        assert!(open_fds() >= 3, "stdin, stdout and stderr at least");
        assert_eq!(status_kib("NoSuchField"), None);
    }

    #[test]
    fn panic_messages_of_both_payload_kinds() {
        let literal = std::panic::catch_unwind(|| panic!("plain")).unwrap_err();
        assert_eq!(panic_message(&*literal), "plain");
        let formatted = std::panic::catch_unwind(|| panic!("n = {}", 3)).unwrap_err();
        assert_eq!(panic_message(&*formatted), "n = 3");
        let other = std::panic::catch_unwind(|| std::panic::panic_any(7u8)).unwrap_err();
        assert_eq!(panic_message(&*other), "");
    }
}
