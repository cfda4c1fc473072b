//! A tour of coffi: a thousand coroutines with 16 KiB stacks call real C
//! (the seed scenarios, nested C <-> Rust calls, libc's qsort) whose
//! callbacks need more stack than the coroutines have, so their stacks move
//! — in strict mode, where any stale pointer would kill the process.
//!
//! Run it with `cargo run --release --example tour`.

use coffi_tests::ffi;
use std::ffi::c_int;
use std::time::Instant;

const COROUTINES: u32 = 1000;

/// What coroutine `i` computes, and what it must get.
fn work(i: u32) -> (i64, i64) {
    match i % 4 {
        0 => (i64::from(ffi::returnAfterGrow()), 123_456),
        1 => (i64::from(ffi::returnAfterGrowFromGo()), 8256),
        2 => {
            // Rust -> C -> Rust -> C -> Rust -> C -> Rust, moving the stack inside.
            (
                i64::from(ffi::nest_c(2)),
                i64::from((((5050 * 2) + 100) * 2 + 1 + 100) * 2 + 2),
            )
        }
        _ => {
            let mut v: Vec<c_int> = (0..200)
                .map(|k| ((k * 37 + i as c_int) % 101) - 50)
                .collect();
            let mut want = v.clone();
            want.sort_unstable();
            ffi::qsort_ints(&mut v);
            (i64::from(v == want), 1)
        }
    }
}

fn main() {
    let started = Instant::now();
    let outcome = coffi::Builder::new()
        .initial_stack(16 * 1024)
        .strict(true)
        .run(|| {
            let handles: Vec<_> = (0..COROUTINES)
                .map(|i| {
                    coffi::spawn(move || {
                        coffi::yield_now(); // let all of them start first
                        let got = work(i);
                        let moved = coffi::stack_info().map_or(0, |s| s.relocations);
                        (got, moved)
                    })
                })
                .collect();
            let mut wrong = 0;
            let mut moved = 0;
            for handle in handles {
                let ((got, want), relocations) = handle.join().expect("no coroutine panics");
                wrong += u32::from(got != want);
                moved += u32::from(relocations > 0);
            }
            (wrong, moved)
        });
    let elapsed = started.elapsed();
    let (wrong, moved) = match outcome {
        Ok(outcome) => outcome,
        Err(err) => {
            eprintln!("coffi tour: the runtime did not start: {err}");
            std::process::exit(2);
        }
    };
    let stats = coffi::stats();
    println!("coffi tour: {COROUTINES} coroutines on 16 KiB stacks, strict mode");
    let rows: [(&str, String); 7] = [
        ("coroutines spawned", stats.spawned.to_string()),
        ("foreign calls (Rust -> C)", stats.foreign_calls.to_string()),
        ("callbacks (C -> Rust)", stats.callbacks.to_string()),
        ("stack relocations", stats.relocations.to_string()),
        ("coroutines whose stack moved", moved.to_string()),
        ("largest window", format!("{} KiB", stats.max_window / 1024)),
        (
            "wall time",
            format!("{:.1} ms", elapsed.as_secs_f64() * 1e3),
        ),
    ];
    for (label, value) in rows {
        println!("  {label:<30}{value:>12}");
    }
    if wrong == 0 {
        println!(
            "  {:<30}{:>12}",
            "result check",
            format!("all {COROUTINES} OK")
        );
    } else {
        println!("  {:<30}{:>12}", "result check", format!("{wrong} WRONG"));
        std::process::exit(1);
    }
}
