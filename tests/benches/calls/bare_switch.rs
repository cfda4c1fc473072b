//! Scenario 2b: the least any stack-switching foreign call can do, written
//! out by hand: a naked switch of the stack pointer onto another stack (the
//! same seven instructions as coffi's `switch_call`), a shim of coffi's
//! shape that reads the frame, calls C and writes the result back through
//! the frame re-derived by the stack-top delta, and the switch back; no
//! thread-local state, no modes, no counters. What `foreign_call` adds on
//! top of this is its bookkeeping; this row is the floor under its ratio to
//! a direct call. x86_64 only.

use core::ffi::c_int;
use criterion::Criterion;
use std::hint::black_box;
use std::time::Instant;

unsafe extern "C" {
    #[link_name = "empty"]
    fn c_empty();
    #[link_name = "add"]
    fn c_add(a: c_int, b: c_int) -> c_int;
}

/// Bytes of the stack the shims run on.
const OTHER_STACK: usize = 64 * 1024;

/// A frame as coffi's trampolines lay it out: arguments, then the result.
#[repr(C)]
struct AddFrame {
    a: c_int,
    b: c_int,
    r: c_int,
}

type Shim = unsafe extern "C" fn(frame: *mut AddFrame, top: *const usize);

/// Saves the stack pointer in rbp, moves to `new_sp`, calls
/// `shim(frame, top)`, moves back.
///
/// # Safety
///
/// `new_sp` is 16-byte aligned, the top of writable memory with room for
/// the shim; the shim does not unwind.
#[unsafe(naked)]
unsafe extern "C" fn switch_call(
    frame: *mut AddFrame,
    new_sp: usize,
    shim: Shim,
    top: *const usize,
) {
    core::arch::naked_asm!(
        "push rbp",
        "mov rbp, rsp",
        "mov rax, rdx",
        "mov rsp, rsi",
        "mov rsi, rcx",
        "call rax",
        "mov rsp, rbp",
        "pop rbp",
        "ret",
    )
}

/// The shim of `add`, in the shape coffi generates.
///
/// # Safety
///
/// `frame` and `top` are valid for the call.
unsafe extern "C" fn add_shim(frame: *mut AddFrame, top: *const usize) {
    // SAFETY: the caller's contract.
    unsafe {
        let top0 = top.read_volatile();
        let r = c_add((*frame).a, (*frame).b);
        let frame = frame.byte_add(top.read_volatile().wrapping_sub(top0));
        (*frame).r = r;
    }
}

/// The shim of `empty`.
///
/// # Safety
///
/// None needed: it ignores its arguments.
unsafe extern "C" fn empty_shim(_frame: *mut AddFrame, _top: *const usize) {
    // SAFETY: `empty` takes nothing and does nothing.
    unsafe { c_empty() };
}

pub fn bare_switch(c: &mut Criterion) {
    let mut other = vec![0u8; OTHER_STACK];
    let new_sp = (other.as_mut_ptr() as usize + OTHER_STACK) & !15;
    // The stack top the shim re-derives its frame by: it never moves here.
    let top = 0usize;
    let mut group = c.benchmark_group("bare_switch");
    for (name, shim) in [("empty", empty_shim as Shim), ("add", add_shim as Shim)] {
        group.bench_function(name, |b| {
            b.iter_custom(|iters| {
                let start = Instant::now();
                for _ in 0..iters {
                    let mut frame = AddFrame {
                        a: black_box(1),
                        b: black_box(2),
                        r: 0,
                    };
                    // SAFETY: `new_sp` is the aligned top of `other`, which
                    // outlives the loop; the shims are C-ABI and do not
                    // unwind; `frame` and `top` live across the call.
                    unsafe { switch_call(&mut frame, new_sp, shim, &top) };
                    black_box(frame.r);
                }
                start.elapsed()
            })
        });
    }
    group.finish();
}
