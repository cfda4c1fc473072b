//! Real libc from 16 KiB coroutines: `qsort` with a Rust comparator, POSIX
//! regular expressions, and stack-hungry C that would overflow the coroutine
//! if it were called without coffi.

mod common;

use coffi_tests::{ffi, observe};
use common::{assert_died_with, is_child, run_in_child, strict_16k};
use std::ffi::{CStr, CString, c_char, c_int};

#[test]
fn qsort_of_10000_ints_with_an_exported_comparator() {
    let sorted = strict_16k()
        .run(|| {
            let h = coffi::spawn(|| {
                let mut v: Vec<c_int> = (0..10_000).map(|i| (i * 7919) % 10_007 - 5000).collect();
                ffi::qsort_ints(&mut v);
                v
            });
            h.join().unwrap()
        })
        .unwrap();
    assert_eq!(sorted.len(), 10_000);
    assert!(sorted.windows(2).all(|w| w[0] <= w[1]));
    assert!(
        observe::COMPARISONS.get() >= 10_000,
        "the comparator ran on this thread"
    );
    assert!(coffi::stats().callbacks >= 10_000);
}

#[test]
fn regcomp_and_regexec_from_a_16k_coroutine() {
    let matches = strict_16k()
        .run(|| {
            let h = coffi::spawn(|| {
                let mut re = std::mem::MaybeUninit::<libc::regex_t>::uninit();
                let pattern = c"^([a-z]+)-([0-9]{2,4})$";
                // SAFETY: `re` is storage for one regex_t; the pattern is a C string.
                let rc =
                    unsafe { ffi::regcomp(re.as_mut_ptr(), pattern.as_ptr(), libc::REG_EXTENDED) };
                assert_eq!(rc, 0);
                let subjects = ["coffi-2026", "cgo-19", "nope-1", "UPPER-123"];
                let found: Vec<bool> = subjects
                    .iter()
                    .map(|s| {
                        let s = CString::new(*s).unwrap();
                        // SAFETY: `re` was compiled above; no match array is asked for.
                        unsafe {
                            ffi::regexec(re.as_ptr(), s.as_ptr(), 0, std::ptr::null_mut(), 0) == 0
                        }
                    })
                    .collect();
                // SAFETY: compiled above, freed once.
                unsafe { ffi::regfree(re.as_mut_ptr()) };
                found
            });
            h.join().unwrap()
        })
        .unwrap();
    assert_eq!(matches, [true, true, false, false]);
}

fn report(x: f64) -> String {
    let mut out = [0 as c_char; 256];
    // SAFETY: `out` has the length passed.
    let n = unsafe { ffi::render_report(out.as_mut_ptr(), out.len(), x) };
    assert!(n > 0);
    // SAFETY: render_report wrote a NUL-terminated string.
    unsafe { CStr::from_ptr(out.as_ptr()) }
        .to_str()
        .unwrap()
        .to_owned()
}

#[test]
fn stack_hungry_c_works_from_a_16k_coroutine_through_coffi() {
    let text = strict_16k()
        .run(|| coffi::spawn(|| report(1.5)).join().unwrap())
        .unwrap();
    assert_eq!(text, "1.500|3.000|4.500|6.000");
}

unsafe extern "C" {
    /// The same C function, declared plainly: a call runs on the caller's stack.
    #[link_name = "render_report"]
    fn render_report_raw(out: *mut c_char, len: usize, x: f64) -> c_int;
}

#[test]
fn the_same_c_called_directly_from_a_16k_coroutine_overflows() {
    if is_child("direct") {
        strict_16k()
            .run(|| {
                let mut out = [0 as c_char; 256];
                // SAFETY: valid buffer; the call overflows the coroutine stack,
                // which is what this child demonstrates.
                unsafe { render_report_raw(out.as_mut_ptr(), out.len(), 1.5) }
            })
            .unwrap();
        return;
    }
    let out = run_in_child(
        "the_same_c_called_directly_from_a_16k_coroutine_overflows",
        "direct",
    );
    assert_died_with(&out, &["coffi: stack overflow in a coroutine"]);
}
