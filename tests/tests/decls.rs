//! Declarations as users and bindgen write them (`src/ffi/decls.rs`, which
//! the build script reaches through `mod decls;`), called from coroutines.

use coffi_tests::ffi::decls::{self, SHADE_DARK, SHADE_LIGHT};
use core::ffi::{c_int, c_void};
use std::ptr;

#[test]
fn an_opaque_handle_alias_and_value_aliases_cross() {
    let value = coffi::run(|| {
        // SAFETY: a tally is created, used and freed here only.
        unsafe {
            let t = decls::tally_new(40);
            assert!(!t.is_null());
            let v = decls::tally_add(t, 2);
            decls::tally_free(t);
            v
        }
    });
    assert_eq!(value, 42);
}

#[test]
fn an_enum_alias_resolves_to_its_integer_type() {
    let shades = coffi::run(|| (decls::shade_of(5), decls::shade_of(500)));
    assert_eq!(shades, (SHADE_LIGHT, SHADE_DARK));
}

#[test]
fn option_of_a_fn_pointer_alias_passes_some_and_none() {
    let (visited, sum, none) = coffi::run(|| {
        let mut sum: i64 = 0;
        // SAFETY: the tally is live for the calls; `data` points to `sum`.
        unsafe {
            let t = decls::tally_new(7);
            let data = (&raw mut sum).cast::<c_void>();
            let visited = decls::tally_visit(t, Some(decls::decls_add_to), data);
            let none = decls::tally_visit(t, None, ptr::null_mut());
            decls::tally_free(t);
            (visited, sum, none)
        }
    });
    assert_eq!((visited, sum, none), (1, 7, -1));
}

#[test]
fn qsort_takes_an_option_of_a_comparison_alias() {
    let sorted = coffi::Builder::new()
        .initial_stack(8 * 1024)
        .run(|| {
            let mut v: Vec<c_int> = vec![3, 9, 1, 7, 5];
            // SAFETY: `v` is an array of `c_int` and the comparison reads
            // two of them.
            unsafe {
                decls::qsort_by(
                    v.as_mut_ptr().cast(),
                    v.len(),
                    size_of::<c_int>(),
                    Some(decls::decls_descending),
                );
            }
            v
        })
        .unwrap();
    assert_eq!(sorted, [9, 7, 5, 3, 1]);
}

#[test]
fn c_calls_a_callback_through_the_prototype_spelled_from_aliases() {
    let scaled = coffi::run(|| {
        // SAFETY: as above.
        unsafe {
            let t = decls::tally_new(14);
            let scaled = decls::tally_scaled(t);
            decls::tally_free(t);
            scaled
        }
    });
    assert_eq!(scaled, 42);
}

#[test]
fn cfg_exclusive_declarations_of_one_function_both_work() {
    let (evaluated, unknown) =
        coffi::run(|| (decls::decls_word_evaluated(), decls::decls_word_unknown()));
    assert_eq!(evaluated, 0x12_3456_7890);
    assert_eq!(unknown, -0x12_3456_7890);
}

use decls::{Sample, Segment, Vec2};

#[test]
fn structs_cross_by_value_both_ways() {
    let (sum, length2, shifted, sample) = coffi::run(|| {
        let a = Vec2 { x: 1.0, y: 2.0 };
        let b = Vec2 { x: 0.5, y: -4.0 };
        let seg = Segment {
            ends: [a, b],
            id: 3,
        };
        (
            decls::vec2_add(a, b),
            decls::segment_length2(seg),
            decls::segment_shift(seg, Vec2 { x: 10.0, y: 20.0 }),
            decls::sample_next(Sample {
                tag: 7,
                value: 21,
                bytes: [1, 2, 3],
            }),
        )
    });
    assert_eq!(sum, Vec2 { x: 1.5, y: -2.0 });
    assert_eq!(length2, 0.25 + 36.0 + 3.0);
    assert_eq!(
        shifted,
        Segment {
            ends: [Vec2 { x: 11.0, y: 22.0 }, Vec2 { x: 10.5, y: 16.0 }],
            id: 4
        }
    );
    assert_eq!(
        sample,
        Sample {
            tag: 8,
            value: -42,
            bytes: [2, 4, 6]
        }
    );
}

#[test]
fn a_struct_returned_by_c_lands_after_a_callback_moved_the_stack() {
    for strict in [false, true] {
        let (rotated, relocations) = coffi::Builder::new()
            .initial_stack(16 * 1024)
            .strict(strict)
            .run(|| {
                let r = decls::vec2_rotate_via_callback(Vec2 { x: 3.0, y: 4.0 });
                (r, coffi::stack_info().unwrap().relocations)
            })
            .unwrap();
        assert_eq!(rotated, Vec2 { x: -3.5, y: 3.0 }, "strict: {strict}");
        assert!(
            relocations >= 1,
            "the callback needs 64 KiB: the stack moves"
        );
    }
}

#[test]
fn a_struct_by_value_through_the_header_s_typedef() {
    let v = coffi::run(decls::decls_version_info);
    assert_eq!(
        v,
        decls::decls_version {
            major: 2,
            minor: 7,
            micro: 1
        }
    );
}

#[test]
fn a_struct_whose_fields_differ_from_the_header_s_fails_the_layout_check() {
    let caught = std::panic::catch_unwind(|| coffi::run(|| decls::decls_pair_make(4)));
    let message = coffi_test_support::panic_message(&*caught.expect_err("the layout check fires"));
    assert!(
        message.contains("the frame of `decls_pair_make` differs between Rust and C"),
        "{message}"
    );
    assert!(message.contains("a struct's fields differ"), "{message}");
}

#[test]
fn a_header_struct_defined_outside_the_bridged_files_is_compared_by_size() {
    let o = coffi::run(|| decls::decls_outside_make(5));
    assert_eq!(o, coffi_tests::decls_outside { a: 5, b: -5 });
}
