//! Mapping accounting, alone in its test binary: it counts the mappings of
//! the whole process, which tests running in parallel would disturb.

mod common;

use common::mappings;

#[test]
fn ten_thousand_coroutines_each_relocating_leave_no_mappings_behind() {
    let before = mappings();
    coffi::Builder::new()
        .initial_stack(16 * 1024)
        .run(move || {
            for _batch in 0..5 {
                let handles: Vec<_> = (0..2000u32)
                    .map(|i| {
                        coffi::spawn(move || {
                            let top = coffi::stack_info().unwrap().top;
                            coffi::maybe_grow(64 * 1024, move || {
                                assert_ne!(coffi::stack_info().unwrap().top, top);
                                i
                            })
                        })
                    })
                    .collect();
                for (i, h) in handles.into_iter().enumerate() {
                    assert_eq!(h.join().unwrap(), i as u32);
                }
            }
            let live = mappings();
            // The pool keeps at most 64 warm stacks (2 mappings each).
            assert!(
                live <= before + 2 * 64 + 32,
                "{live} mappings inside, {before} before"
            );
        })
        .unwrap();
    assert!(coffi::stats().relocations >= 10_000);
    assert_eq!(coffi::stats().spawned, 10_001);
    let after = mappings();
    assert!(
        after <= before + 8,
        "{after} mappings after, {before} before"
    );
}
