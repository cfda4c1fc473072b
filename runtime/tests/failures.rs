//! Every failure row of the design: a clear message, never silent corruption.

mod common;

use coffi::__private::run_callback;
use common::{
    Gate, assert_died_with, assert_succeeded_with, call_int_shim, deep_sum, is_child,
    panic_message, run_in_child,
};
use std::ffi::c_void;
use std::panic::catch_unwind;

#[test]
fn overflowing_a_coroutine_window_reports_and_aborts() {
    if is_child("overflow") {
        coffi::Builder::new()
            .initial_stack(16 * 1024)
            .run(|| deep_sum(5000))
            .unwrap();
        return;
    }
    let out = run_in_child(
        "overflowing_a_coroutine_window_reports_and_aborts",
        "overflow",
    );
    assert_died_with(
        &out,
        &[
            "coffi: stack overflow in a coroutine",
            "past the bottom of window 0",
            "16384 bytes",
        ],
    );
}

#[test]
fn overflowing_a_window_carved_between_live_neighbours_reports_and_aborts() {
    if is_child("overflow-carved") {
        coffi::Builder::new()
            .initial_stack(16 * 1024)
            .run(|| {
                // The overflowing coroutine's first window lies in a chunk
                // between parked neighbours' windows.
                let parked: Vec<_> = (0..40).map(|_| coffi::spawn(coffi::yield_now)).collect();
                coffi::yield_now();
                let overflowing = coffi::spawn(|| deep_sum(5000));
                let more: Vec<_> = (0..40).map(|_| coffi::spawn(coffi::yield_now)).collect();
                let _ = overflowing.join();
                parked
                    .into_iter()
                    .chain(more)
                    .for_each(|h| h.join().unwrap());
            })
            .unwrap();
        return;
    }
    let out = run_in_child(
        "overflowing_a_window_carved_between_live_neighbours_reports_and_aborts",
        "overflow-carved",
    );
    assert_died_with(
        &out,
        &[
            "coffi: stack overflow in a coroutine",
            "past the bottom of window 0",
            "16384 bytes",
            "raise coffi::Builder::initial_stack",
        ],
    );
}

#[test]
fn overflow_is_reported_with_separate_guard_mappings_too() {
    if is_child("overflow-mapping") {
        coffi::Builder::new()
            .initial_stack(16 * 1024)
            .run(|| {
                let before = common::mappings();
                let h = coffi::spawn(|| ());
                assert_eq!(common::mappings(), before + 2, "window + guard mapping");
                h.join().unwrap();
                deep_sum(5000)
            })
            .unwrap();
        return;
    }
    let exe = std::env::current_exe().unwrap();
    let out = std::process::Command::new(exe)
        .args([
            "overflow_is_reported_with_separate_guard_mappings_too",
            "--exact",
            "--nocapture",
        ])
        .env("COFFI_TEST_CHILD", "overflow-mapping")
        .env("COFFI_GUARD_PAGES", "mapping")
        .output()
        .unwrap();
    assert_died_with(
        &out,
        &[
            "coffi: stack overflow in a coroutine",
            "past the bottom of window 0",
        ],
    );
}

#[test]
fn overflowing_the_scheduler_stack_in_c_reports_and_aborts() {
    unsafe extern "C" fn hungry_c(_a: *mut c_void, _top: *const usize) {
        std::hint::black_box(deep_sum(10_000));
    }
    if is_child("sched") {
        coffi::Builder::new()
            .scheduler_stack(256 * 1024)
            .run(|| {
                // SAFETY: the shim ignores its frame.
                unsafe { coffi::__private::call_foreign(hungry_c, std::ptr::null_mut::<u8>()) }
            })
            .unwrap();
        return;
    }
    let out = run_in_child(
        "overflowing_the_scheduler_stack_in_c_reports_and_aborts",
        "sched",
    );
    assert_died_with(
        &out,
        &[
            "stack overflow on the scheduler stack",
            "Builder::scheduler_stack",
        ],
    );
}

#[test]
fn relocating_past_max_stack_panics_naming_the_limit() {
    coffi::Builder::new()
        .max_stack(64 * 1024)
        .run(|| {
            let h = coffi::spawn(|| coffi::maybe_grow(1 << 20, || 1));
            let msg = panic_message(&*h.join().unwrap_err());
            assert!(
                msg.contains("coffi: stack limit of 65536 bytes reached"),
                "{msg}"
            );
            assert!(msg.contains("Builder::max_stack"), "{msg}");
        })
        .unwrap();
}

extern "C" fn too_hungry_cb() -> i32 {
    run_callback("too_hungry_cb", 1 << 20, || 5)
}

unsafe extern "C" fn too_hungry_shim(a: *mut c_void, top: *const usize) {
    // SAFETY: the runtime passes the shim a valid top pointer.
    let top0 = unsafe { common::read_top(top) };
    let r = too_hungry_cb();
    // SAFETY: `a` is this call's frame.
    unsafe { common::store_adjusted(a, top, top0, r) };
}

#[test]
fn a_callback_beyond_max_stack_fails_its_coroutine_not_the_process() {
    coffi::Builder::new()
        .max_stack(128 * 1024)
        .run(|| {
            let h = coffi::spawn(|| call_int_shim(too_hungry_shim));
            let msg = panic_message(&*h.join().unwrap_err());
            assert!(msg.contains("stack limit of 131072 bytes reached"), "{msg}");
        })
        .unwrap();
}

#[test]
fn a_panicking_coroutine_fails_its_join_and_the_others_keep_running() {
    let total = coffi::run(|| {
        let bad = coffi::spawn(|| -> u32 { panic!("coroutine failed on purpose") });
        let good: Vec<_> = (0..5u32)
            .map(|i| {
                coffi::spawn(move || {
                    coffi::yield_now();
                    i
                })
            })
            .collect();
        assert!(bad.join().is_err());
        good.into_iter().map(|h| h.join().unwrap()).sum::<u32>()
    });
    assert_eq!(total, 10);
}

#[test]
fn a_panic_in_the_main_coroutine_propagates_from_run() {
    let err = catch_unwind(|| coffi::run(|| panic!("main failed on purpose"))).unwrap_err();
    assert_eq!(panic_message(&*err), "main failed on purpose");
    // The thread can start a new runtime afterwards.
    assert_eq!(coffi::run(|| 3), 3);
}

#[test]
fn spawn_and_yield_outside_run_panic_saying_why() {
    let err = catch_unwind(|| coffi::spawn(|| ())).unwrap_err();
    assert!(
        panic_message(&*err).contains("outside coffi::run"),
        "{}",
        panic_message(&*err)
    );
    let err = catch_unwind(coffi::yield_now).unwrap_err();
    assert!(
        panic_message(&*err).contains("outside a coroutine"),
        "{}",
        panic_message(&*err)
    );
    let err = coffi::try_spawn(|| ()).unwrap_err();
    assert_eq!(err.kind(), coffi::ErrorKind::OutsideRuntime);
}

#[test]
fn run_inside_run_is_an_error() {
    coffi::run(|| {
        let err = coffi::Builder::new().run(|| ()).unwrap_err();
        assert_eq!(err.kind(), coffi::ErrorKind::Nested);
    });
}

#[test]
fn bad_settings_and_unallocatable_stacks_are_errors() {
    let err = coffi::Builder::new()
        .initial_stack(1 << 20)
        .max_stack(1 << 16)
        .run(|| ())
        .unwrap_err();
    assert_eq!(err.kind(), coffi::ErrorKind::Config);
    assert!(err.to_string().contains("max_stack"), "{err}");
    let err = coffi::Builder::new()
        .scheduler_stack(usize::MAX / 4)
        .run(|| ())
        .unwrap_err();
    assert!(err.to_string().contains("scheduler stack"), "{err}");
}

extern "C" fn yielding_cb() -> i32 {
    run_callback("yielding_cb", 8 * 1024, || {
        coffi::yield_now();
        1
    })
}

unsafe extern "C" fn yielding_shim(a: *mut c_void, top: *const usize) {
    // SAFETY: the runtime passes the shim a valid top pointer.
    let top0 = unsafe { common::read_top(top) };
    let r = yielding_cb();
    // SAFETY: `a` is this call's frame.
    unsafe { common::store_adjusted(a, top, top0, r) };
}

#[test]
fn yielding_inside_a_callback_panics_saying_why() {
    coffi::run(|| {
        let h = coffi::spawn(|| call_int_shim(yielding_shim));
        let msg = panic_message(&*h.join().unwrap_err());
        assert!(msg.contains("inside an #[export_callback]"), "{msg}");
    });
}

/// Fills the process's mappings up to `vm.max_map_count` minus `leave`, by
/// splitting one reservation into alternating protections.
fn fill_mappings(leave: usize) {
    let (current, max) = (
        common::mappings(),
        std::fs::read_to_string("/proc/sys/vm/max_map_count")
            .unwrap()
            .trim()
            .parse::<usize>()
            .unwrap(),
    );
    let want = max.saturating_sub(current + leave);
    let pages = want + 2;
    // SAFETY: a fresh private reservation that nothing else uses.
    let base = unsafe {
        libc::mmap(
            std::ptr::null_mut(),
            pages * 4096,
            libc::PROT_NONE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE,
            -1,
            0,
        )
    } as usize;
    assert_ne!(base, libc::MAP_FAILED as usize);
    for page in (1..pages).step_by(2) {
        // SAFETY: inside the reservation above.
        if unsafe { libc::mprotect((base + page * 4096) as *mut c_void, 4096, libc::PROT_READ) }
            != 0
        {
            break;
        }
    }
}

#[test]
fn try_spawn_fails_cleanly_at_vm_max_map_count() {
    if is_child("maps") {
        coffi::run(|| {
            fill_mappings(200);
            let mut handles = Vec::new();
            let err = loop {
                match coffi::try_spawn(|| ()) {
                    Ok(h) => handles.push(h),
                    Err(err) => break err,
                }
                assert!(handles.len() < 100_000, "the limit never hit");
            };
            println!("spawned {} then: {err}", handles.len());
            assert_eq!(err.kind(), coffi::ErrorKind::MapCountLimit, "{err}");
            assert!(err.to_string().contains("vm.max_map_count"), "{err}");
            let err = catch_unwind(|| coffi::spawn(|| ())).unwrap_err();
            assert!(panic_message(&*err).contains("vm.max_map_count"));
            println!("CHILD-OK");
        });
        return;
    }
    // With guard regions, a thousand first windows share a mapping: the
    // limit is reached with a separate guard mapping per first window (or
    // by relocations, below).
    let out =
        run_in_child_with_guard_mappings("try_spawn_fails_cleanly_at_vm_max_map_count", "maps");
    assert_succeeded_with(&out, &["CHILD-OK"]);
}

/// [`run_in_child`] with `COFFI_GUARD_PAGES=mapping`: every first window
/// costs two mappings (guard and window), as on kernels without guard
/// regions.
fn run_in_child_with_guard_mappings(test: &str, scenario: &str) -> std::process::Output {
    std::process::Command::new(std::env::current_exe().expect("test binary path"))
        .args([test, "--exact", "--nocapture", "--test-threads=1"])
        .env("COFFI_TEST_CHILD", scenario)
        .env("COFFI_GUARD_PAGES", "mapping")
        .env("RUST_BACKTRACE", "0")
        .output()
        .expect("re-run the test binary")
}

#[test]
fn relocations_past_vm_max_map_count_fail_naming_it() {
    if is_child("relocation-maps") {
        coffi::run(|| {
            fill_mappings(200);
            let gate = Gate::default();
            let mut handles = Vec::new();
            let message = loop {
                // Each coroutine grows once and stays parked in the grown
                // window: two mappings each, until the limit.
                let parked = gate.clone();
                handles.push(coffi::spawn(move || {
                    coffi::maybe_grow(64 * 1024, || coffi::wait(parked.opened()))
                }));
                coffi::yield_now();
                if handles.last().is_some_and(|h| h.is_finished()) {
                    let Some(failed) = handles.pop() else {
                        unreachable!()
                    };
                    break panic_message(&*failed.join().unwrap_err());
                }
                assert!(handles.len() < 100_000, "the limit never hit");
            };
            println!("grew {} then: {message}", handles.len());
            assert!(
                message.contains("relocating a coroutine stack"),
                "{message}"
            );
            assert!(message.contains("vm.max_map_count"), "{message}");
            assert!(message.contains("needs 2 more"), "{message}");
            gate.open();
            for handle in handles {
                handle.join().unwrap();
            }
            println!("CHILD-OK");
        });
        return;
    }
    let out = run_in_child(
        "relocations_past_vm_max_map_count_fail_naming_it",
        "relocation-maps",
    );
    assert_succeeded_with(&out, &["CHILD-OK"]);
}

extern "C" fn panics_always() -> i32 {
    run_callback("panics_always", 8 * 1024, || {
        panic!("nobody can resume this")
    })
}

#[test]
fn a_callback_panic_with_no_foreign_call_to_resume_it_aborts_saying_why() {
    if is_child("orphan") {
        // As if C on a thread of its own called the callback: no trampoline
        // is live on this thread, so the panic has nowhere to go.
        std::hint::black_box(panics_always());
        return;
    }
    let out = run_in_child(
        "a_callback_panic_with_no_foreign_call_to_resume_it_aborts_saying_why",
        "orphan",
    );
    assert_died_with(
        &out,
        &[
            "callback `panics_always` panicked",
            "no #[foreign_call] is under way",
            "called directly (from Rust code",
        ],
    );
}

extern "C" fn bottomless_cb() -> i32 {
    run_callback("bottomless_cb", 64 * 1024, || deep_sum(100_000) as i32)
}

unsafe extern "C" fn bottomless_shim(a: *mut c_void, top: *const usize) {
    // SAFETY: the runtime passes the shim a valid top pointer.
    let top0 = unsafe { common::read_top(top) };
    let r = bottomless_cb();
    // SAFETY: `a` is this call's frame.
    unsafe { common::store_adjusted(a, top, top0, r) };
}

#[test]
fn a_callback_overflowing_its_relocated_window_is_reported_for_that_window() {
    if is_child("callback-overflow") {
        coffi::Builder::new()
            .initial_stack(16 * 1024)
            .run(|| call_int_shim(bottomless_shim))
            .unwrap();
        return;
    }
    let out = run_in_child(
        "a_callback_overflowing_its_relocated_window_is_reported_for_that_window",
        "callback-overflow",
    );
    assert_died_with(
        &out,
        &[
            "coffi: stack overflow in a coroutine",
            "past the bottom of window 1",
        ],
    );
}

#[test]
fn a_panic_with_backtraces_on_prints_from_a_small_coroutine_without_overflowing() {
    if is_child("backtrace") {
        let code = coffi::Builder::new()
            .initial_stack(8 * 1024)
            .run(|| {
                let h = coffi::spawn(|| -> u32 { panic!("failing with a backtrace") });
                i32::from(h.join().is_err())
            })
            .unwrap();
        std::process::exit(if code == 1 { 0 } else { 3 });
    }
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "a_panic_with_backtraces_on_prints_from_a_small_coroutine_without_overflowing",
            "--exact",
            "--nocapture",
        ])
        .env("COFFI_TEST_CHILD", "backtrace")
        .env("RUST_BACKTRACE", "full")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{:?}\n{stderr}", out.status);
    assert!(stderr.contains("failing with a backtrace"), "{stderr}");
    assert!(stderr.contains("stack backtrace:"), "{stderr}");
}

unsafe extern "C" fn stack_hungry_shim(a: *mut c_void, top: *const usize) {
    // SAFETY: the runtime passes the shim a valid top pointer.
    let top0 = unsafe { common::read_top(top) };
    let mut scratch = [0u8; 16 * 1024];
    std::hint::black_box(&mut scratch)[100] = 1;
    let r = i32::from(std::hint::black_box(scratch)[100]);
    // SAFETY: `a` is this call's `IntFrame`.
    unsafe { common::store_adjusted(a, top, top0, r) };
}

#[test]
fn a_panic_hook_that_calls_c_runs_below_its_own_frames() {
    if is_child("hook") {
        std::panic::set_hook(Box::new(|_| {
            // A foreign call from inside the hook, with a large C frame.
            let r = call_int_shim(stack_hungry_shim);
            eprintln!("hook made a foreign call: {r}");
        }));
        let failed = coffi::Builder::new()
            .initial_stack(16 * 1024)
            .run(|| coffi::spawn(|| panic!("in a coroutine")).join().is_err())
            .unwrap();
        std::process::exit(if failed { 0 } else { 3 });
    }
    let out = run_in_child(
        "a_panic_hook_that_calls_c_runs_below_its_own_frames",
        "hook",
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{:?}\n{stderr}", out.status);
    assert!(stderr.contains("hook made a foreign call: 1"), "{stderr}");
}

#[test]
fn run_works_when_first_called_while_the_thread_unwinds() {
    struct RunsOnDrop;
    impl Drop for RunsOnDrop {
        fn drop(&mut self) {
            assert_eq!(coffi::run(|| 5), 5);
            println!("run during unwinding: ok");
        }
    }
    if is_child("unwinding") {
        let _ = std::panic::catch_unwind(|| {
            let _guard = RunsOnDrop;
            panic!("unwinding");
        });
        return;
    }
    let out = run_in_child(
        "run_works_when_first_called_while_the_thread_unwinds",
        "unwinding",
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{:?}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("run during unwinding: ok"), "{stdout}");
}

#[test]
fn an_absurd_max_stack_is_a_config_error() {
    let err = coffi::Builder::new()
        .max_stack(usize::MAX)
        .run(|| ())
        .unwrap_err();
    assert_eq!(err.kind(), coffi::ErrorKind::Config);
    assert!(err.to_string().contains("max_stack"), "{err}");
}

#[test]
fn a_low_file_size_limit_is_an_error_naming_ulimit_f_not_a_signal() {
    if is_child("fsize") {
        let limit = libc::rlimit {
            rlim_cur: 1 << 30,
            rlim_max: libc::RLIM_INFINITY,
        };
        // SAFETY: setrlimit reads the struct we pass.
        assert_eq!(unsafe { libc::setrlimit(libc::RLIMIT_FSIZE, &limit) }, 0);
        let (spawned, err) = coffi::run(|| {
            let mut handles = Vec::new();
            loop {
                match coffi::try_spawn(|| ()) {
                    Ok(h) => handles.push(h),
                    Err(err) => break (handles.len(), err),
                }
            }
        });
        assert_eq!(err.kind(), coffi::ErrorKind::FileSizeLimit);
        assert!(err.to_string().contains("ulimit -f"), "{err}");
        // 1 GiB holds 126 slots of 8 MiB + 128 KiB (first window and grown
        // part, each with room for a guard); the main coroutine has one.
        assert_eq!(spawned, 125, "{err}");
        println!("fsize-ok");
        return;
    }
    let out = run_in_child(
        "a_low_file_size_limit_is_an_error_naming_ulimit_f_not_a_signal",
        "fsize",
    );
    assert_succeeded_with(&out, &["fsize-ok"]);
}

#[test]
fn a_low_address_space_limit_is_an_error_naming_ulimit_v() {
    if is_child("address-space") {
        let vm_size = coffi_test_support::status_kib("VmSize").expect("VmSize") as usize * 1024;
        let limit = libc::rlimit {
            rlim_cur: (vm_size + (160 << 20)) as libc::rlim_t,
            rlim_max: libc::RLIM_INFINITY,
        };
        // SAFETY: setrlimit reads the struct we pass.
        assert_eq!(unsafe { libc::setrlimit(libc::RLIMIT_AS, &limit) }, 0);
        let (spawned, err) = coffi::run(|| {
            let mut handles = Vec::with_capacity(10_000);
            loop {
                match coffi::try_spawn(|| ()) {
                    Ok(h) => handles.push(h),
                    Err(err) => break (handles.len(), err),
                }
                assert!(handles.len() < 10_000, "the limit never hit");
            }
        });
        println!("spawned {spawned} then: {err}");
        assert_eq!(err.kind(), coffi::ErrorKind::OutOfMemory, "{err}");
        assert!(err.to_string().contains("ulimit -v"), "{err}");
        assert!(err.to_string().contains("initial_stack"), "{err}");
        // Chunks shrink to what the address space still holds: most of the
        // 160 MiB went to first windows of 80 KiB (with their guards).
        assert!(spawned > 1000, "only {spawned} coroutines");
        println!("address-space-ok");
        return;
    }
    let out = run_in_child(
        "a_low_address_space_limit_is_an_error_naming_ulimit_v",
        "address-space",
    );
    assert_succeeded_with(&out, &["address-space-ok"]);
}

#[test]
fn at_the_mapping_limit_try_spawn_names_it_and_the_process_can_still_allocate() {
    if is_child("headroom") {
        coffi::run(|| {
            let mut handles = Vec::new();
            let err = loop {
                match coffi::try_spawn(|| ()) {
                    Ok(h) => handles.push(h),
                    Err(err) => break err,
                }
                assert!(handles.len() < 1_000_000, "the limit never hit");
            };
            assert_eq!(err.kind(), coffi::ErrorKind::MapCountLimit, "{err}");
            assert!(err.to_string().contains("vm.max_map_count"), "{err}");
            // The rest of the process still has mappings to allocate with:
            // each of these buffers is a mapping of its own.
            let buffers: Vec<Vec<u8>> = (0..200).map(|i| vec![i as u8; 1 << 20]).collect();
            assert!(buffers.iter().enumerate().all(|(i, b)| b[4095] == i as u8));
            println!("spawned {} then: {err}", handles.len());
            println!("CHILD-OK");
        });
        return;
    }
    let out = run_in_child_with_guard_mappings(
        "at_the_mapping_limit_try_spawn_names_it_and_the_process_can_still_allocate",
        "headroom",
    );
    assert_succeeded_with(&out, &["CHILD-OK"]);
}

#[test]
fn a_panic_hook_set_after_the_first_run_still_runs_on_the_scheduler_stack() {
    if is_child("late-hook") {
        coffi::run(|| ());
        // As color-eyre or human-panic do: a hook that captures a backtrace.
        std::panic::set_hook(Box::new(|info| {
            let backtrace = std::backtrace::Backtrace::force_capture();
            eprintln!("late hook: {info}\n{backtrace}");
        }));
        let err = coffi::run(|| coffi::spawn(|| -> u32 { panic!("late panic") }).join());
        assert!(err.is_err());
        println!("CHILD-OK");
        return;
    }
    let out = run_in_child(
        "a_panic_hook_set_after_the_first_run_still_runs_on_the_scheduler_stack",
        "late-hook",
    );
    let stderr = assert_succeeded_with(&out, &["CHILD-OK"]);
    assert!(
        stderr.contains("late hook: ") && stderr.contains("late panic"),
        "{stderr}"
    );
}

/// Stands for C with a frame larger than a page that touches only its
/// lowest byte (a large `alloca` in C built without stack-clash
/// protection): moves the stack pointer down `JUMP` bytes and writes there.
#[cfg(target_arch = "x86_64")]
unsafe extern "C" fn jumping_c(_a: *mut c_void, _top: *const usize) {
    const JUMP: usize = 1536 * 1024;
    // SAFETY: deliberately out of bounds: the write lands below the 1 MiB
    // scheduler stack, which must fault with coffi's message.
    unsafe {
        std::arch::asm!(
            "sub rsp, {jump}",
            "mov byte ptr [rsp], 1",
            "add rsp, {jump}",
            jump = in(reg) JUMP,
        )
    };
}

#[test]
#[cfg(target_arch = "x86_64")]
fn a_c_frame_that_jumps_past_the_scheduler_stack_is_reported_as_its_overflow() {
    if is_child("jump") {
        coffi::Builder::new()
            .scheduler_stack(1 << 20)
            .run(|| {
                // SAFETY: the shim ignores its frame.
                unsafe { coffi::__private::call_foreign(jumping_c, std::ptr::null_mut::<u8>()) }
            })
            .unwrap();
        return;
    }
    let out = run_in_child(
        "a_c_frame_that_jumps_past_the_scheduler_stack_is_reported_as_its_overflow",
        "jump",
    );
    assert_died_with(
        &out,
        &[
            "stack overflow on the scheduler stack",
            "Builder::scheduler_stack",
        ],
    );
}
