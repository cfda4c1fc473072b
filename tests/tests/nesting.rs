//! Rust -> C -> Rust -> C -> ... four levels deep, with the stack moving in
//! the innermost callback.

mod common;

use coffi_tests::{ffi, observe};

/// What `nest_c(level)` returns, computed in plain Rust.
fn expected(level: i32) -> i32 {
    let inner = if level == 0 {
        100 * 101 / 2
    } else {
        expected(level - 1) + 100
    };
    inner * 2 + level
}

#[test]
fn four_levels_deep_every_level_gets_its_value() {
    for strict in [false, true] {
        observe::NEST_LEVELS.with_borrow_mut(Vec::clear);
        let (value, relocations) = common::strict_16k()
            .strict(strict)
            .run(|| {
                let h = coffi::spawn(|| (ffi::nest_c(4), coffi::stack_info().unwrap().relocations));
                h.join().unwrap()
            })
            .unwrap();
        assert_eq!(value, expected(4));
        assert!(
            relocations >= 2,
            "callbacks and maybe_grow moved the stack: {relocations}"
        );
        let levels = observe::NEST_LEVELS.with_borrow(Clone::clone);
        assert_eq!(
            levels,
            vec![
                (1, expected(0)),
                (2, expected(1)),
                (3, expected(2)),
                (4, expected(3))
            ]
        );
        let stats = coffi::stats();
        assert_eq!(stats.foreign_calls, 5);
        assert_eq!(stats.callbacks, 5);
    }
}

#[test]
fn nesting_works_from_a_plain_thread_too() {
    observe::NEST_LEVELS.with_borrow_mut(Vec::clear);
    assert_eq!(ffi::nest_c(4), expected(4));
    assert_eq!(observe::NEST_LEVELS.with_borrow(Vec::len), 4);
}
