//! Deadlocked runs give everything back; alone in its test binary, since it
//! counts the mappings of the whole process.

mod common;

use common::mappings;

/// Runs one join cycle of two coroutines that each hold `guard`, and
/// returns the deadlock message.
fn one_join_cycle(guard: std::rc::Rc<()>) -> String {
    use std::cell::RefCell;
    use std::rc::Rc;
    let err = std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || {
        coffi::run(move || {
            let slot: Rc<RefCell<Option<coffi::JoinHandle<()>>>> = Rc::default();
            let s = slot.clone();
            let g = guard.clone();
            let a = coffi::spawn(move || {
                let _held = g;
                coffi::yield_now();
                if let Some(b) = s.borrow_mut().take() {
                    let _ = b.join();
                }
            });
            let g = guard.clone();
            *slot.borrow_mut() = Some(coffi::spawn(move || {
                let _held = g;
                let _ = a.join();
            }));
        })
    }))
    .unwrap_err();
    err.downcast_ref::<String>().cloned().unwrap_or_default()
}

#[test]
fn deadlocked_coroutines_are_unwound_and_their_stacks_released() {
    let guard = std::rc::Rc::new(());
    // Warm up: the first run maps the process's lazily made things.
    assert!(one_join_cycle(guard.clone()).contains("deadlock"));
    let before = mappings();
    for _ in 0..200 {
        let msg = one_join_cycle(guard.clone());
        assert!(msg.contains("2 coroutine(s)"), "{msg}");
    }
    // Every coroutine's destructors ran: nothing holds the guard.
    assert_eq!(std::rc::Rc::strong_count(&guard), 1);
    let after = mappings();
    assert!(
        after <= before + 4,
        "{after} mappings after 200 deadlocked runs, {before} before"
    );
}
