//! Valgrind client requests: telling memcheck about coffi's stacks.
//!
//! Memcheck follows the stack pointer to know which stack memory is live. A
//! move of the stack pointer inside one stack allocates or frees stack
//! memory; a move into another *registered* stack is a switch, which changes
//! nothing. coffi's switches (`arch::switch_call`, corosensei's) jump between
//! the scheduler stack and windows often less than memcheck's 2 MB
//! `--max-stackframe` apart, so every window and the scheduler stack is
//! registered while it is mapped: the switches are then seen as switches.
//!
//! A client request is a fixed sequence of instructions that does nothing on
//! a real CPU (it rotates a register by a total of 128 bits and exchanges a
//! register with itself) and that valgrind's JIT recognises; the result
//! register keeps the default value outside valgrind. The sequences, request
//! numbers and argument block are those of valgrind's public headers
//! `valgrind/valgrind.h` (`VALGRIND_DO_CLIENT_REQUEST_EXPR` for
//! `PLAT_amd64_linux` and `PLAT_arm64_linux`, `VG_USERREQ__*`) and
//! `valgrind/memcheck.h`, written out here so that building coffi does not
//! need the headers installed. They are part of valgrind's stable ABI.
//!
//! Memcheck also keeps the state of memory by address, not by page, so it
//! cannot see that the windows of one stack alias the same pages (see
//! [`entering_alias`]): where code starts running in a newer window below
//! frames of an older one, the runtime tells it what is usable there.
//!
//! Requests are made where stacks are mapped and unmapped, and on the slow
//! paths that switch into another alias (a callback that runs in a newer
//! window than its trampoline, `maybe_grow` moving to a larger window);
//! never on the foreign-call path or a callback's common path. Outside
//! valgrind a request is a few register instructions, and the alias requests
//! only test a flag.

use core::arch::asm;
use std::sync::OnceLock;

/// `VG_USERREQ__RUNNING_ON_VALGRIND`.
const RUNNING_ON_VALGRIND: usize = 0x1001;
/// `VG_USERREQ__STACK_REGISTER`.
const STACK_REGISTER: usize = 0x1501;
/// `VG_USERREQ__STACK_DEREGISTER`.
const STACK_DEREGISTER: usize = 0x1502;
/// `VG_USERREQ_TOOL_BASE('M', 'C')`: memcheck's own requests.
const MEMCHECK_BASE: usize = ((b'M' as usize) << 24) | ((b'C' as usize) << 16);
/// `VG_USERREQ__MAKE_MEM_UNDEFINED` (memcheck.h).
const MAKE_MEM_UNDEFINED: usize = MEMCHECK_BASE + 1;
/// `VG_USERREQ__MAKE_MEM_DEFINED` (memcheck.h).
const MAKE_MEM_DEFINED: usize = MEMCHECK_BASE + 2;

/// Makes client request `request` with `args`; returns `default` outside
/// valgrind (or under a tool that does not handle the request).
#[inline(always)]
fn request(default: usize, request: usize, args: [usize; 5]) -> usize {
    let block: [usize; 6] = [request, args[0], args[1], args[2], args[3], args[4]];
    let result: usize;
    #[cfg(target_arch = "x86_64")]
    // SAFETY: valgrind.h's amd64 sequence. On a CPU the four rotations of
    // rdi add up to 128 bits (rdi unchanged, only flags written) and
    // `xchg rbx, rbx` changes nothing; rdx keeps `default`. Under valgrind
    // the sequence reads the six words at rax, which `block` holds for the
    // whole asm block, and writes the result to rdx. No stack use.
    unsafe {
        asm!(
            "rol rdi, 3",
            "rol rdi, 13",
            "rol rdi, 61",
            "rol rdi, 51",
            "xchg rbx, rbx",
            in("rax") block.as_ptr(),
            inout("rdx") default => result,
            options(nostack),
        );
    }
    #[cfg(target_arch = "aarch64")]
    // SAFETY: valgrind.h's arm64 sequence. On a CPU the four rotations of
    // x12 add up to 128 bits (x12 unchanged) and `orr x10, x10, x10`
    // changes nothing; x3 keeps `default`. Under valgrind the sequence reads
    // the six words at x4, which `block` holds for the whole asm block, and
    // writes the result to x3. No stack use.
    unsafe {
        asm!(
            "ror x12, x12, #3",
            "ror x12, x12, #13",
            "ror x12, x12, #51",
            "ror x12, x12, #61",
            "orr x10, x10, x10",
            in("x4") block.as_ptr(),
            inout("x3") default => result,
            options(nostack),
        );
    }
    result
}

/// Whether this process runs under valgrind (`RUNNING_ON_VALGRIND`),
/// asked once.
pub(crate) fn running_on_valgrind() -> bool {
    static RUNNING: OnceLock<bool> = OnceLock::new();
    *RUNNING.get_or_init(|| request(0, RUNNING_ON_VALGRIND, [0; 5]) != 0)
}

/// What [`stack_register`] returns outside valgrind. Valgrind's ids count
/// up from 0 (which its main stack may hold), so 0 cannot mean "none".
const NO_STACK: usize = usize::MAX;

/// Tells valgrind that `[bottom, top)` is a stack; returns the id to
/// deregister it with (`None` outside valgrind).
#[inline]
pub(crate) fn stack_register(bottom: usize, top: usize) -> Option<usize> {
    Some(request(NO_STACK, STACK_REGISTER, [bottom, top, 0, 0, 0])).filter(|&id| id != NO_STACK)
}

/// Tells valgrind that the stack `id` from [`stack_register`] is gone.
#[inline]
pub(crate) fn stack_deregister(id: Option<usize>) {
    if let Some(id) = id {
        request(0, STACK_DEREGISTER, [id, 0, 0, 0, 0]);
    }
}

/// Bytes below a switch's target stack pointer that memcheck must take as
/// usable stack: amd64's 128-byte red zone (memcheck marks the bytes a push
/// makes usable relative to it), the switch's own call, and slack.
const BELOW_SWITCH: usize = 512;

/// Marks `[addr, end)` usable but undefined (memcheck).
fn mark_undefined(addr: usize, end: usize) {
    request(
        0,
        MAKE_MEM_UNDEFINED,
        [addr, end.saturating_sub(addr), 0, 0, 0],
    );
}

/// Marks `[addr, end)` usable and defined (memcheck).
fn mark_defined(addr: usize, end: usize) {
    request(
        0,
        MAKE_MEM_DEFINED,
        [addr, end.saturating_sub(addr), 0, 0, 0],
    );
}

/// Before running code at `sp` in the window whose top is `top`, below live
/// frames that were written through another alias of the same pages.
///
/// Memcheck keeps the state of memory by address, so it cannot see that two
/// windows alias one stack: in the window being entered, what an earlier
/// callback there left behind is "no access", although the pages now hold
/// live frames of the other alias. This marks the bytes just below `sp`
/// usable, and the bytes from `sp` to the window top, which only a shim
/// writes (its return value, through the frame pointer it re-derives),
/// usable and defined.
pub(crate) fn entering_alias(sp: usize, top: usize) {
    if running_on_valgrind() {
        mark_undefined(sp.saturating_sub(BELOW_SWITCH), sp);
        mark_defined(sp, top);
    }
}

/// Marks the live frames `[sp, top)` of a window defined: a shim may write a
/// return value into them through another alias (after the stack moved),
/// which memcheck would not see, still taking the slot for the
/// uninitialised one the trampoline left.
pub(crate) fn written_through_alias(sp: usize, top: usize) {
    if running_on_valgrind() {
        mark_defined(sp, top);
    }
}

/// Before switching to `sp` in a window whose bytes below it memcheck may
/// take as "no access" (see [`entering_alias`]): marks them usable.
pub(crate) fn switching_below_alias(sp: usize) {
    if running_on_valgrind() {
        mark_undefined(sp.saturating_sub(BELOW_SWITCH), sp);
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn requests_return_their_default_outside_valgrind() {
        if super::running_on_valgrind() {
            return;
        }
        assert_eq!(super::stack_register(0x1000, 0x2000), None);
        super::stack_deregister(None);
    }
}
