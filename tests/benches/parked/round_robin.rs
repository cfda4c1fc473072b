//! What idle-stack compaction costs a server: `coroutines` coroutines parked
//! on futures, woken one after another, round after round (each wakes,
//! makes a foreign call, parks again), with compaction off, on with a
//! threshold no parking reaches (only its bookkeeping: a clock reading and
//! a queue entry per parking), and on with a zero threshold (every parked
//! stack is compacted when the scheduler looks, and restored at its wake:
//! the worst case).

use coffi_tests::ffi;
use std::cell::RefCell;
use std::rc::Rc;
use std::task::{Poll, Waker};
use std::time::{Duration, Instant};

/// Runs of each setting; the table shows the median.
const REPEATS: usize = 5;

/// One coroutine's wake-up: set, and the waker of its parking.
type Bell = Rc<RefCell<(bool, Option<Waker>)>>;

/// Parks until `bell` is rung, then clears it.
fn park_until_rung(bell: &Bell) {
    coffi::wait(std::future::poll_fn(|cx| {
        let mut state = bell.borrow_mut();
        if std::mem::take(&mut state.0) {
            return Poll::Ready(());
        }
        state.1 = Some(cx.waker().clone());
        Poll::Pending
    }));
}

fn ring(bell: &Bell) {
    let waker = {
        let mut state = bell.borrow_mut();
        state.0 = true;
        state.1.take()
    };
    if let Some(waker) = waker {
        waker.wake();
    }
}

/// Nanoseconds per wake (wake, resume, foreign call, park) and the
/// compactions made, in a runtime compacting after `compact_after`.
fn measure(coroutines: usize, rounds: usize, compact_after: Option<Duration>) -> (f64, u64) {
    coffi::Builder::new()
        .compact_idle_stacks(compact_after)
        .run(move || {
            let bells: Vec<Bell> = (0..coroutines).map(|_| Bell::default()).collect();
            let handles: Vec<_> = bells
                .iter()
                .map(|bell| {
                    let bell = bell.clone();
                    coffi::spawn(move || {
                        let mut sum = 0;
                        for _ in 0..=rounds {
                            sum = ffi::add(sum, 1);
                            park_until_rung(&bell);
                        }
                        sum
                    })
                })
                .collect();
            coffi::yield_now();
            let start = Instant::now();
            for _ in 0..rounds {
                for bell in &bells {
                    ring(bell);
                }
                // Wakes queue behind this coroutine's yield: the second
                // yield comes after every woken coroutine ran and parked.
                coffi::yield_now();
                coffi::yield_now();
            }
            let ns = start.elapsed().as_nanos() as f64 / (rounds * coroutines) as f64;
            let compactions = coffi::stats().compactions;
            bells.iter().for_each(ring);
            for handle in handles {
                assert_eq!(handle.join().ok(), Some(rounds as i32 + 1));
            }
            (ns, compactions)
        })
        .expect("the coffi runtime starts")
}

/// Prints the table: `coroutines` woken `rounds` times each.
pub fn report(coroutines: usize, rounds: usize) {
    let settings = [
        ("off", None),
        ("after 1 s (not reached)", Some(Duration::from_secs(1))),
        ("after 0 (every parking)", Some(Duration::ZERO)),
    ];
    // A first, untimed pass warms the heap and the stacks; then the
    // settings take turns, and each keeps its median.
    measure(coroutines, 2, None);
    let mut runs: Vec<Vec<(f64, u64)>> = vec![Vec::new(); settings.len()];
    for _ in 0..REPEATS {
        for (runs, &(_, after)) in runs.iter_mut().zip(&settings) {
            runs.push(measure(coroutines, rounds, after));
        }
    }
    let rows: Vec<_> = settings
        .iter()
        .zip(runs)
        .map(|(&(name, _), mut runs)| {
            runs.sort_by(|a, b| a.0.total_cmp(&b.0));
            (name, runs[runs.len() / 2])
        })
        .collect();
    let base = rows[0].1.0;
    println!();
    println!(
        "Round-robin wakes ({coroutines} coroutines parked on futures, {rounds} rounds; each wake \
         resumes one, which calls `ffi::add` and parks again; median of {REPEATS} runs, the \
         settings taking turns):"
    );
    println!();
    println!("| compaction | per wake | against off | stacks compacted |");
    println!("|---|---:|---:|---:|");
    for (name, (ns, compactions)) in rows {
        println!(
            "| {name} | {ns:.0} ns | {:+.1} % | {compactions} |",
            (ns / base - 1.0) * 100.0
        );
    }
}
