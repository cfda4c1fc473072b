//! Mapping accounting, alone in its test binary: its tests count the
//! mappings of the whole process, which tests running in parallel would
//! disturb, and run one at a time.

mod common;

use common::mappings;
use std::sync::{Mutex, MutexGuard};

/// Held by every test of this binary: each counts the mappings of the whole
/// process, so they run one at a time.
fn alone() -> MutexGuard<'static, ()> {
    static SERIAL: Mutex<()> = Mutex::new(());
    SERIAL
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

#[test]
fn ten_thousand_coroutines_each_relocating_leave_no_mappings_behind() {
    let _alone = alone();
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
            // The pool keeps at most 64 warm stacks, each with a grown
            // spare window (2 mappings), beside the chunks of first windows.
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

#[test]
fn five_thousand_parked_coroutines_share_a_few_mappings() {
    let _alone = alone();
    const COROUTINES: usize = 5000;
    let (grew_by, parked) = coffi::Builder::new()
        .initial_stack(16 * 1024)
        .run(|| {
            let before = mappings();
            let handles: Vec<_> = (0..COROUTINES)
                .map(|i| {
                    coffi::spawn(move || {
                        // Touch the stack as a foreign call would, then park.
                        let local = std::hint::black_box([i as u8; 512]);
                        coffi::yield_now();
                        usize::from(local[7])
                    })
                })
                .collect();
            coffi::yield_now();
            let grew_by = mappings() - before;
            let parked = handles.iter().filter(|h| !h.is_finished()).count();
            for (i, h) in handles.into_iter().enumerate() {
                assert_eq!(h.join().unwrap(), usize::from(i as u8));
            }
            (grew_by, parked)
        })
        .unwrap();
    assert_eq!(parked, COROUTINES);
    // Chunks of 16, 32, .., 1024 first windows: 8 mappings hold 5000
    // coroutines; the rest is the heap growing.
    assert!(
        grew_by <= 24,
        "{COROUTINES} parked coroutines added {grew_by} mappings"
    );
}

#[test]
fn a_relocated_coroutine_costs_two_mappings_per_grown_window() {
    let _alone = alone();
    coffi::Builder::new()
        .initial_stack(16 * 1024)
        .run(|| {
            // Warm up the heap and the first chunks, so that only the grown
            // windows add mappings below.
            let warm: Vec<_> = (0..100).map(|_| coffi::spawn(coffi::yield_now)).collect();
            coffi::yield_now();
            let before = mappings();
            let grown: Vec<_> = (0..50)
                .map(|_| coffi::spawn(|| coffi::maybe_grow(64 * 1024, coffi::yield_now)))
                .collect();
            coffi::yield_now();
            let added = mappings() - before;
            assert!(
                (100..=104).contains(&added),
                "50 grown windows added {added} mappings"
            );
            warm.into_iter()
                .chain(grown)
                .for_each(|h| h.join().unwrap());
        })
        .unwrap();
}

#[test]
fn forking_from_carved_windows_leaves_the_chunks_whole() {
    let _alone = alone();
    coffi::run(|| {
        let fork_once = || {
            // SAFETY: the child only calls `_exit`.
            let pid = unsafe { libc::fork() };
            assert!(pid >= 0, "fork failed");
            if pid == 0 {
                // SAFETY: ends the child at once.
                unsafe { libc::_exit(0) };
            }
            let mut status = 0;
            // SAFETY: waits for the child just made.
            assert_eq!(unsafe { libc::waitpid(pid, &mut status, 0) }, pid);
        };
        fork_once();
        let before = mappings();
        let handles: Vec<_> = (0..20).map(|_| coffi::spawn(fork_once)).collect();
        handles.into_iter().for_each(|h| h.join().unwrap());
        let after = mappings();
        assert!(
            after <= before + 4,
            "20 forks from coroutines: {before} mappings before, {after} after"
        );
    });
}

#[test]
fn finished_stacks_beyond_the_warm_set_give_back_their_pages() {
    let _alone = alone();
    let shmem_kib = || coffi_test_support::status_kib("RssShmem").expect("RssShmem");
    let (before, peak, after) = coffi::Builder::new()
        .initial_stack(16 * 1024)
        .run(move || {
            let before = shmem_kib();
            let handles: Vec<_> = (0..1000u32)
                .map(|i| {
                    coffi::spawn(move || {
                        // Pages in the first window, and in the deep part of
                        // the slot through a grown window.
                        let mut shallow = [i as u8; 4 * 1024];
                        let shallow = &*std::hint::black_box(&mut shallow);
                        coffi::maybe_grow(96 * 1024, || {
                            let mut deep = [i as u8; 32 * 1024];
                            let deep = &*std::hint::black_box(&mut deep);
                            coffi::yield_now();
                            u32::from(shallow[1]) + u32::from(deep[2])
                        })
                    })
                })
                .collect();
            coffi::yield_now();
            let peak = shmem_kib();
            for (i, h) in handles.into_iter().enumerate() {
                assert_eq!(h.join().unwrap(), 2 * u32::from(i as u8));
            }
            (before, peak, shmem_kib())
        })
        .unwrap();
    assert!(
        peak - before >= 1000 * 36,
        "1000 stacks of 36 KiB: {before} KiB before, {peak} KiB at the peak"
    );
    // The 64 warm stacks keep the pages their kept windows show (here at
    // most 128 KiB each); the others are punched out of the backing.
    assert!(
        after <= before + 64 * 128 + 1024,
        "{before} KiB before, {peak} KiB at the peak, {after} KiB after"
    );
}
