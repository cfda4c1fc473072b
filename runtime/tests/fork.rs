//! fork from a coroutine, or from C under a foreign call, never lets the
//! child write the parent's stacks: the child gets copies of its runtime's
//! stacks on memory of its own.

mod common;

use common::{is_child, run_in_child};
use std::ffi::c_void;
use std::process::Command;

#[test]
fn fifty_commands_on_std_fork_path_succeed_from_coroutines() {
    let statuses = coffi::run(|| {
        let handles: Vec<_> = (0..50)
            .map(|i| {
                coffi::spawn(move || {
                    // A bare program name with `env("PATH", ..)` makes std
                    // fork and exec instead of using posix_spawn.
                    let code = Command::new("sh")
                        .args(["-c", &format!("exit {}", i % 7)])
                        .env("PATH", "/usr/bin:/bin")
                        .status()
                        .expect("fork and exec sh");
                    (i, code.code())
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap())
            .collect::<Vec<_>>()
    });
    for (i, code) in statuses {
        assert_eq!(code, Some(i % 7), "command {i}");
    }
}

const PATTERN: u8 = 0xa5;

/// Forks; the child overwrites `local` with zeros and `_exit`s; returns
/// what the child's exit status was.
fn fork_and_scribble(local: &mut [u8; 4096]) -> i32 {
    // SAFETY: the child only writes memory and calls `_exit`.
    let pid = unsafe { libc::fork() };
    assert!(pid >= 0, "fork failed");
    if pid == 0 {
        local.fill(0);
        std::hint::black_box(&local);
        // SAFETY: `_exit` ends the child at once.
        unsafe { libc::_exit(if local.iter().all(|&b| b == 0) { 7 } else { 1 }) };
    }
    let mut status = 0;
    // SAFETY: waits for the child just made.
    assert_eq!(unsafe { libc::waitpid(pid, &mut status, 0) }, pid);
    assert!(libc::WIFEXITED(status), "child status {status:#x}");
    libc::WEXITSTATUS(status)
}

#[test]
fn a_child_forked_by_a_coroutine_writes_its_own_copy_of_the_stack() {
    let (code, intact) = coffi::run(|| {
        let mut local = [PATTERN; 4096];
        let code = fork_and_scribble(&mut local);
        (code, local.iter().all(|&b| b == PATTERN))
    });
    assert_eq!(code, 7, "the child saw its own writes");
    assert!(intact, "the child's writes reached the parent's stack");
}

#[test]
fn a_fork_after_the_stack_moved_keeps_the_aliases_in_the_child() {
    let (code, intact) = coffi::Builder::new()
        .initial_stack(16 * 1024)
        .run(|| {
            let mut local = [PATTERN; 4096];
            // Fork from a larger window of the same stack: the child's
            // copy must show its writes through the old window too.
            let local_addr = &raw mut local as usize;
            let code = coffi::maybe_grow(256 * 1024, move || {
                // SAFETY: `local` lives in the caller's frame, reachable at
                // its old address (old windows stay mapped).
                let local = unsafe { &mut *(local_addr as *mut [u8; 4096]) };
                fork_and_scribble(local)
            });
            assert!(coffi::stack_info().unwrap().relocations >= 1);
            (code, local.iter().all(|&b| b == PATTERN))
        })
        .unwrap();
    assert_eq!(code, 7);
    assert!(intact, "the child's writes reached the parent's stack");
}

/// The frame of `forking_shim`: a pointer to the coroutine's buffer, and
/// the child's exit status.
#[repr(C)]
struct ForkFrame {
    buffer: *mut [u8; 4096],
    r: i32,
}

/// Stands for C that forks on the scheduler stack; the child writes the
/// coroutine's buffer (through the pointer C was given) and exits.
unsafe extern "C" fn forking_shim(a: *mut c_void, _top: *const usize) {
    // SAFETY: `a` is this call's ForkFrame; no callback runs, so it has
    // not moved.
    let frame = unsafe { &mut *a.cast::<ForkFrame>() };
    // SAFETY: the buffer outlives the call.
    frame.r = fork_and_scribble(unsafe { &mut *frame.buffer });
}

#[test]
fn a_child_forked_by_c_under_a_foreign_call_writes_its_own_copy() {
    let (code, intact) = coffi::run(|| {
        let mut local = [PATTERN; 4096];
        let mut frame = ForkFrame {
            buffer: &raw mut local,
            r: -1,
        };
        // SAFETY: the shim takes a ForkFrame.
        unsafe { coffi::__private::call_foreign(forking_shim, &raw mut frame) };
        (frame.r, local.iter().all(|&b| b == PATTERN))
    });
    assert_eq!(code, 7);
    assert!(intact, "the child's writes reached the parent's stack");
}

#[test]
fn the_child_can_keep_running_coroutine_code_and_exit_normally() {
    if is_child("fork-run") {
        coffi::run(|| {
            let mut local = [PATTERN; 4096];
            // SAFETY: both processes go on running Rust code.
            let pid = unsafe { libc::fork() };
            if pid == 0 {
                // The child keeps using the coroutine: foreign calls,
                // relocations, spawns.
                let sum = coffi::spawn(|| coffi::maybe_grow(512 * 1024, || 41))
                    .join()
                    .unwrap();
                local.fill(1);
                println!("child sum {}", sum + 1);
                return;
            }
            let mut status = 0;
            // SAFETY: waits for the child just made.
            unsafe { libc::waitpid(pid, &mut status, 0) };
            assert!(libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0);
            assert!(local.iter().all(|&b| b == PATTERN));
            println!("parent intact");
        });
        return;
    }
    let out = run_in_child(
        "the_child_can_keep_running_coroutine_code_and_exit_normally",
        "fork-run",
    );
    common::assert_succeeded_with(&out, &["child sum 42", "parent intact"]);
}

#[test]
fn a_child_gets_copies_of_every_chunk_and_new_coroutines_in_it_stay_apart() {
    const PARKED: usize = 100;
    let (code, intact) = coffi::Builder::new()
        .initial_stack(16 * 1024)
        .run(|| {
            // Parked coroutines in three chunks, each with a local the child
            // overwrites through the pointer the parent gave it.
            let buffers: Vec<std::rc::Rc<std::cell::Cell<usize>>> =
                (0..PARKED).map(|_| Default::default()).collect();
            let handles: Vec<_> = buffers
                .iter()
                .map(|slot| {
                    let slot = slot.clone();
                    coffi::spawn(move || {
                        let mut local = [PATTERN; 64];
                        slot.set(&raw mut local as usize);
                        coffi::yield_now();
                        local.iter().all(|&b| b == PATTERN)
                    })
                })
                .collect();
            coffi::yield_now();
            // SAFETY: the child runs Rust code and ends with `_exit`.
            let pid = unsafe { libc::fork() };
            assert!(pid >= 0, "fork failed");
            if pid == 0 {
                for slot in &buffers {
                    // SAFETY: the parked coroutine's local, at the same
                    // address in the child's copy of its stack.
                    unsafe { (*(slot.get() as *mut [u8; 64])).fill(0) };
                }
                let zeroed = buffers.iter().all(|slot| {
                    // SAFETY: as above.
                    unsafe { *(slot.get() as *const [u8; 64]) }
                        .iter()
                        .all(|&b| b == 0)
                });
                // New coroutines in the child take cells of the same chunks
                // (and, past them, a new chunk) and write their stacks. (The
                // parked ones run to their end here too, on the copies.)
                let spawned: Vec<_> = (0..100)
                    .map(|i| {
                        coffi::spawn(move || {
                            let local = std::hint::black_box([i as u8; 4096]);
                            coffi::maybe_grow(64 * 1024, || usize::from(local[9]))
                        })
                    })
                    .collect();
                let sum: usize = spawned.into_iter().map(|h| h.join().unwrap()).sum();
                if !(zeroed && sum == 4950) {
                    eprintln!("child: zeroed {zeroed}, sum {sum}");
                }
                // SAFETY: `_exit` ends the child at once.
                unsafe { libc::_exit(if zeroed && sum == 4950 { 7 } else { 1 }) };
            }
            let mut status = 0;
            // SAFETY: waits for the child just made.
            assert_eq!(unsafe { libc::waitpid(pid, &mut status, 0) }, pid);
            let code = libc::WEXITSTATUS(status);
            let intact = handles.into_iter().all(|h| h.join().unwrap());
            (code, intact)
        })
        .unwrap();
    assert_eq!(
        code, 7,
        "the child saw its own writes and ran its coroutines"
    );
    assert!(intact, "the child's writes reached the parent's stacks");
}
