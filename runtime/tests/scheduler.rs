//! The scheduler: spawning, joining, yielding, counters.

use std::cell::RefCell;
use std::rc::Rc;

#[test]
fn coroutines_interleave_at_yield_points_in_spawn_order() {
    let log = Rc::new(RefCell::new(Vec::new()));
    let l = log.clone();
    coffi::run(move || {
        let hs: Vec<_> = (0..3)
            .map(|i| {
                let l = l.clone();
                coffi::spawn(move || {
                    for step in 0..2 {
                        l.borrow_mut().push((i, step));
                        coffi::yield_now();
                    }
                })
            })
            .collect();
        for h in hs {
            h.join().unwrap();
        }
    });
    assert_eq!(
        *log.borrow(),
        [(0, 0), (1, 0), (2, 0), (0, 1), (1, 1), (2, 1)]
    );
}

#[test]
fn join_waits_for_a_coroutine_that_yields_many_times() {
    let v = coffi::run(|| {
        let h = coffi::spawn(|| {
            for _ in 0..100 {
                coffi::yield_now();
            }
            7
        });
        assert!(!h.is_finished());
        h.join().unwrap()
    });
    assert_eq!(v, 7);
}

#[test]
fn run_waits_for_coroutines_nobody_joined() {
    let done = Rc::new(RefCell::new(0));
    let d = done.clone();
    coffi::run(move || {
        for _ in 0..10 {
            let d = d.clone();
            coffi::spawn(move || {
                coffi::yield_now();
                *d.borrow_mut() += 1;
            });
        }
    });
    assert_eq!(*done.borrow(), 10);
}

#[test]
fn coroutines_can_spawn_and_join_coroutines() {
    fn tree(depth: u32) -> u32 {
        if depth == 0 {
            return 1;
        }
        let l = coffi::spawn(move || tree(depth - 1));
        let r = coffi::spawn(move || tree(depth - 1));
        l.join().unwrap() + r.join().unwrap()
    }
    assert_eq!(coffi::run(|| tree(8)), 256);
    assert_eq!(coffi::stats().spawned, 511);
}

#[test]
fn stacks_are_reused_from_the_pool() {
    coffi::run(|| {
        let first = coffi::spawn(|| coffi::stack_info().unwrap().top)
            .join()
            .unwrap();
        let again = coffi::spawn(|| coffi::stack_info().unwrap().top)
            .join()
            .unwrap();
        assert_eq!(first, again, "a finished coroutine's stack is reused");
    });
}

#[test]
fn a_join_cycle_is_reported_as_a_deadlock() {
    let err = std::panic::catch_unwind(|| {
        coffi::run(|| {
            let slot: Rc<RefCell<Option<coffi::JoinHandle<()>>>> = Rc::default();
            let s = slot.clone();
            let a = coffi::spawn(move || {
                coffi::yield_now();
                if let Some(b) = s.borrow_mut().take() {
                    let _ = b.join();
                }
            });
            *slot.borrow_mut() = Some(coffi::spawn(move || {
                let _ = a.join();
            }));
        })
    })
    .unwrap_err();
    let msg = err.downcast_ref::<String>().cloned().unwrap_or_default();
    assert!(msg.contains("deadlock"), "{msg}");
}

#[test]
fn a_result_whose_drop_panics_does_not_stop_the_runtime() {
    struct Bomb;
    impl Drop for Bomb {
        fn drop(&mut self) {
            panic!("Bomb dropped");
        }
    }
    let finished = Rc::new(RefCell::new(false));
    let f = finished.clone();
    coffi::run(move || {
        drop(coffi::spawn(|| Bomb)); // nobody joins: the coroutine drops it
        let other = coffi::spawn(move || {
            coffi::yield_now();
            *f.borrow_mut() = true;
        });
        other.join().unwrap();
    });
    assert!(*finished.borrow());
}

#[test]
fn closures_larger_than_a_kilobyte_start_as_coroutines() {
    // The captures move onto the coroutine's stack when it starts: give it
    // room for them.
    let big = [7u8; 4096];
    let total = coffi::Builder::new()
        .initial_stack(64 * 1024)
        .run(move || {
            let more = [1u8; 2048];
            let handles: Vec<_> = (0..100)
                .map(|_| coffi::spawn(move || more.iter().map(|&b| u64::from(b)).sum::<u64>()))
                .collect();
            let spawned: u64 = handles.into_iter().map(|h| h.join().unwrap()).sum();
            big.iter().map(|&b| u64::from(b)).sum::<u64>() + spawned
        })
        .unwrap();
    assert_eq!(total, 7 * 4096 + 100 * 2048);
}
