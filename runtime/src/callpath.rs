//! The call paths: Rust → C on the scheduler stack, C → Rust back on the
//! coroutine's window, and `maybe_grow`.
//!
//! Cursors: a switch onto the scheduler stack starts at `ctx.sched_sp`, below
//! every live frame there; a switch back onto the coroutine starts at the
//! depth of `stack.call_sp` (the coroutine's stack pointer at its innermost
//! foreign call) in the newest window. Each switch records the exact stack
//! pointer it left and restores the cursor it changed when it returns, so
//! calls nest to any depth.

use crate::arch;
use crate::context::{Mode, ThreadCtx, bump, ctx};
use crate::scheduler::runtime;
use crate::stack::{CoroutineStack, SWITCH_SLACK};
use std::any::Any;
use std::cell::Cell;
use std::ffi::c_void;
use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};

/// A generated C shim:
/// `void __coffi_shim_<name>_<hash>(void *frame, const volatile uintptr_t *top)`.
///
/// `top` points at the running coroutine's current window top (what
/// [`coffi_topofstack`](crate::coffi_topofstack) returns), which a callback
/// moves when it relocates the stack; the shim re-derives its frame by how
/// much it moved during the C call.
pub type Shim = unsafe extern "C" fn(frame: *mut c_void, top: *const usize);

/// The stack top a shim sees when no coroutine is running: it never moves.
static NO_TOP: usize = 0;

thread_local! {
    /// The payload of a callback panic, waiting for its foreign call to return.
    static PENDING_PANIC: Cell<Option<Box<dyn Any + Send>>> = const { Cell::new(None) };
}

/// Runs `shim(frame)` on the scheduler stack when called on a coroutine,
/// directly otherwise; then resumes a panic that a callback caught meanwhile.
///
/// # Safety
///
/// `frame` must point to the frame `shim` expects, valid for the whole call.
#[inline]
pub unsafe fn call_foreign(shim: Shim, frame: *mut c_void) {
    let ctx = ctx();
    bump(&ctx.foreign_calls);
    if ctx.mode.get() == Mode::Coroutine {
        // SAFETY: forwarded from the caller; the mode is `Coroutine`.
        unsafe { call_on_scheduler_stack(ctx, shim, frame) }
    } else {
        // SAFETY: forwarded from the caller.
        unsafe { call_in_place(ctx, shim, frame) }
    }
    if ctx.panic_pending.get() {
        resume_callback_panic(ctx);
    }
}

/// What `run_shim` needs, kept in the caller's frame on the coroutine stack.
struct ForeignCall {
    shim: Shim,
    frame: *mut c_void,
    top: *const usize,
    stack: *const CoroutineStack,
    protect_mark: usize,
}

/// # Safety
///
/// As [`call_foreign`]; `ctx.mode` is `Coroutine`.
#[inline]
unsafe fn call_on_scheduler_stack(ctx: &ThreadCtx, shim: Shim, frame: *mut c_void) {
    let stack = ctx.current.get();
    if ctx.strict.get() {
        // SAFETY: forwarded.
        return unsafe { call_on_scheduler_stack_strict(ctx, stack, shim, frame) };
    }
    // SAFETY: in coroutine mode `current` is the running coroutine's stack.
    let stack = unsafe { &*stack };
    let saved_top = stack.current_top.get();
    // Callbacks of this call run below the trampoline's frames: below this
    // frame and the switch's return address and saved frame pointer.
    stack
        .call_sp
        .set((arch::stack_pointer() - CALL_FRAME_RESERVE) & !(arch::STACK_ALIGN - 1));
    ctx.mode.set(Mode::Foreign);
    // SAFETY: `sched_sp` is aligned and below every live frame of the
    // scheduler stack, which has room down to its guard page; the shim is C
    // and does not unwind.
    unsafe {
        arch::call_on_stack2(
            frame.cast(),
            ctx.sched_sp.get(),
            shim,
            stack.current_top.as_ptr(),
        )
    };
    ctx.mode.set(Mode::Coroutine);
    // Back in the trampoline's window: later shims measure from its top.
    stack.current_top.set(saved_top);
}

/// Stack below the trampoline's stack pointer that the switch itself uses
/// (return address and saved frame pointer), rounded up.
const CALL_FRAME_RESERVE: usize = 64;

/// The strict-mode path: as [`call_on_scheduler_stack`], but the shim runs
/// through `run_shim`, which lifts the protections made during the call
/// before control returns into the windows they cover.
///
/// # Safety
///
/// As [`call_on_scheduler_stack`]; `stack` is the running coroutine's.
#[cold]
#[inline(never)]
unsafe fn call_on_scheduler_stack_strict(
    ctx: &ThreadCtx,
    stack: *const CoroutineStack,
    shim: Shim,
    frame: *mut c_void,
) {
    // SAFETY: in coroutine mode `current` is the running coroutine's stack.
    let saved_top = unsafe { (*stack).current_top.get() };
    let call = ForeignCall {
        shim,
        frame,
        // SAFETY: as above.
        top: unsafe { (*stack).current_top.as_ptr() },
        stack,
        // SAFETY: as above.
        protect_mark: unsafe { (*stack).protected_count.get() },
    };
    ctx.mode.set(Mode::Foreign);
    // SAFETY: as in `call_on_scheduler_stack`; `run_shim` does not unwind.
    unsafe {
        arch::call_on_stack(
            (&raw const call).cast_mut().cast(),
            ctx.sched_sp.get(),
            run_shim,
        )
    };
    ctx.mode.set(Mode::Coroutine);
    // SAFETY: as above.
    unsafe { (*stack).current_top.set(saved_top) };
}

/// Runs on the scheduler stack.
unsafe extern "C" fn run_shim(arg: *mut u8, caller_sp: usize) {
    // SAFETY: `arg` is the `ForeignCall` of `call_on_scheduler_stack`, alive
    // until we return. It is only read: strict mode may have made its window
    // read-only by the time the shim returns.
    let call = unsafe { &*arg.cast::<ForeignCall>() };
    // SAFETY: the running coroutine's stack, boxed for its whole life.
    let stack = unsafe { &*call.stack };
    // Callbacks of this call run below the trampoline's frames.
    stack.call_sp.set(caller_sp);
    // SAFETY: the trampoline's contract: `frame` fits `shim`.
    unsafe { (call.shim)(call.frame, call.top) };
    // Strict mode: control is about to return into frames that live in the
    // windows protected during this call.
    if stack.protected_count.get() > call.protect_mark {
        stack.unprotect_to(call.protect_mark);
    }
}

/// A foreign call not made from a coroutine window: the shim runs right
/// here, and callbacks under it run in place too.
///
/// # Safety
///
/// As [`call_foreign`].
#[inline]
unsafe fn call_in_place(ctx: &ThreadCtx, shim: Shim, frame: *mut c_void) {
    ctx.plain_depth.set(ctx.plain_depth.get() + 1);
    if ctx.mode.get() == Mode::Foreign {
        // SAFETY: forwarded from the caller.
        unsafe { call_detached(ctx, shim, frame) }
    } else {
        // SAFETY: forwarded from the caller.
        unsafe { shim(frame, &NO_TOP) }
    }
    ctx.plain_depth.set(ctx.plain_depth.get() - 1);
}

/// A foreign call made by Rust code that C called on the scheduler stack (not
/// a callback): it is not on a coroutine, so the shim runs right here, and
/// callbacks under it run directly too.
///
/// # Safety
///
/// As [`call_foreign`].
#[cold]
unsafe fn call_detached(ctx: &ThreadCtx, shim: Shim, frame: *mut c_void) {
    let current = ctx.current.replace(std::ptr::null());
    ctx.mode.set(Mode::Plain);
    // SAFETY: forwarded from the caller.
    unsafe { shim(frame, &NO_TOP) };
    ctx.mode.set(Mode::Foreign);
    ctx.current.set(current);
}

#[cold]
fn resume_callback_panic(ctx: &ThreadCtx) -> ! {
    ctx.panic_pending.set(false);
    match PENDING_PANIC.take() {
        Some(payload) => resume_unwind(payload),
        None => unreachable!("a pending callback panic without payload"),
    }
}

/// Keeps a callback's panic for the foreign call that led to it, or aborts
/// when no foreign call is live to resume it (`resumable == false`).
#[cold]
fn stash_panic(name: &str, resumable: bool, payload: Box<dyn Any + Send>) {
    let ctx = ctx();
    if !resumable {
        eprintln!(
            "coffi: callback `{name}` panicked while called from C outside any #[foreign_call] \
             (for example on a thread C created); a panic cannot unwind through C frames; aborting"
        );
        std::process::abort();
    }
    if !ctx.panic_pending.replace(true) {
        PENDING_PANIC.set(Some(payload));
    }
}

/// A zero value C gets from a callback that panicked.
pub trait CallbackReturn: Sized {
    /// The zero value.
    fn zeroed() -> Self;
}

/// Runs `body` and catches its panic for the enclosing foreign call.
fn catch_callback<R: CallbackReturn>(name: &str, resumable: bool, body: impl FnOnce() -> R) -> R {
    match catch_unwind(AssertUnwindSafe(body)) {
        Ok(value) => value,
        Err(payload) => {
            stash_panic(name, resumable, payload);
            R::zeroed()
        }
    }
}

/// Runs the body of an exported callback with `need` bytes of stack.
///
/// Called from C inside a coroutine's foreign call, the body runs on the
/// coroutine's newest window below its live frames, after relocating to a
/// larger window when fewer than `need` bytes are free there. Called anywhere
/// else, it runs right where it is. A panic is caught; C gets
/// [`CallbackReturn::zeroed`] and the panic resumes when the foreign call
/// returns.
pub fn run_callback<R: CallbackReturn, F: FnOnce() -> R>(
    name: &'static str,
    need: usize,
    body: F,
) -> R {
    let ctx = ctx();
    match ctx.mode.get() {
        // SAFETY: mode `Foreign` means we are in C called by a coroutine's
        // foreign call, on the scheduler stack.
        Mode::Foreign => unsafe { callback_on_coroutine(ctx, name, need, body) },
        // C called straight from coroutine code: a foreign call resumes the
        // panic only if this coroutine is inside a callback of one.
        Mode::Coroutine => catch_callback(name, ctx.callback_depth.get() > 0, || {
            crate::maybe_grow(need, body)
        }),
        Mode::Plain => catch_callback(name, ctx.plain_depth.get() > 0, body),
    }
}

/// Finds or makes `need` bytes of room below the frame at `call_sp`, in the
/// newest window (relocating to a new one if none has it).
#[cold]
fn make_room(stack: &CoroutineStack, call_sp: usize, need: usize) -> (usize, bool) {
    let (Some(runtime), Some((_, depth))) = (runtime(), stack.locate(call_sp)) else {
        unreachable!("a foreign call without a runtime, or outside the coroutine's windows");
    };
    stack.room_at_depth(runtime.backing(), depth, need)
}

struct CallbackCall<F, R> {
    name: &'static str,
    body: Option<F>,
    result: Option<R>,
}

/// # Safety
///
/// `ctx.mode` is `Foreign`.
unsafe fn callback_on_coroutine<R: CallbackReturn, F: FnOnce() -> R>(
    ctx: &ThreadCtx,
    name: &'static str,
    need: usize,
    body: F,
) -> R {
    let Some(stack) = ctx.stack() else {
        unreachable!("foreign mode without a coroutine");
    };
    let call_sp = stack.call_sp.get();
    let newest = stack.newest();
    let (sp, relocated) = if newest.contains(call_sp)
        && call_sp - newest.bottom >= need.saturating_add(SWITCH_SLACK)
    {
        // The common case: the newest window has the room right below the
        // trampoline's frames.
        (call_sp & !(arch::STACK_ALIGN - 1), false)
    } else {
        match catch_unwind(AssertUnwindSafe(|| make_room(stack, call_sp, need))) {
            Ok(room) => room,
            Err(payload) => {
                stash_panic(name, true, payload);
                return R::zeroed();
            }
        }
    };
    if relocated && ctx.strict.get() {
        stack.protect_older();
    }
    // The shim of the enclosing call re-derives its frame by this top.
    stack.current_top.set(stack.newest().top);
    let saved_sched_sp = ctx.sched_sp.get();
    let saved_call_sp = stack.call_sp.get();
    ctx.callback_depth.set(ctx.callback_depth.get() + 1);
    let mut call = CallbackCall {
        name,
        body: Some(body),
        result: None,
    };
    ctx.mode.set(Mode::Coroutine);
    // SAFETY: `sp` is aligned and at the depth of the coroutine's innermost
    // live frame in its newest window, which has `need` bytes of room below
    // it; `run_body` catches every panic.
    unsafe { arch::call_on_stack((&raw mut call).cast(), sp, run_body::<F, R>) };
    ctx.mode.set(Mode::Foreign);
    ctx.callback_depth.set(ctx.callback_depth.get() - 1);
    ctx.sched_sp.set(saved_sched_sp);
    // Foreign calls of the body moved the cursor; C's next callback starts
    // below the same trampoline again.
    stack.call_sp.set(saved_call_sp);
    bump(&ctx.callbacks);
    call.result.unwrap_or_else(R::zeroed)
}

/// Runs on the coroutine's window.
unsafe extern "C" fn run_body<F: FnOnce() -> R, R: CallbackReturn>(arg: *mut u8, caller_sp: usize) {
    // SAFETY: `arg` is the `CallbackCall` in `callback_on_coroutine`'s frame
    // on the scheduler stack, alive and unaliased until we return.
    let call = unsafe { &mut *arg.cast::<CallbackCall<F, R>>() };
    // Foreign calls made by the body go below the C frames that called us.
    ctx().sched_sp.set(caller_sp & !(arch::STACK_ALIGN - 1));
    if let Some(body) = call.body.take() {
        call.result = Some(catch_callback(call.name, true, body));
    }
}

/// Runs `f` with at least `red_zone` bytes of stack.
///
/// On a coroutine, if fewer than `red_zone` bytes are free below the stack
/// pointer in the current window, `f` runs in a larger window of the same
/// stack (mapped now if none is large enough) at the same depth: nothing is
/// copied and every pointer to the caller's locals stays valid, so `f` may
/// borrow them. Outside a coroutine `f` runs in place.
///
/// Panics when the stack would exceed `Builder::max_stack`.
///
/// ```
/// fn depth(n: u64) -> u64 {
///     let pad = std::hint::black_box([0u8; 256]);
///     if n == 0 {
///         return u64::from(pad[0]);
///     }
///     coffi::maybe_grow(4096, || depth(n - 1)) + 1
/// }
/// let levels = coffi::Builder::new()
///     .max_stack(64 << 20)
///     .run(|| depth(2000))
///     .unwrap();
/// assert_eq!(levels, 2000);
/// assert!(coffi::stats().relocations > 0);
/// ```
#[inline]
pub fn maybe_grow<R>(red_zone: usize, f: impl FnOnce() -> R) -> R {
    let ctx = ctx();
    if ctx.mode.get() != Mode::Coroutine {
        return f();
    }
    let Some(stack) = ctx.stack() else {
        return f();
    };
    let sp = arch::stack_pointer();
    match stack.locate(sp) {
        Some((index, depth))
            if stack.window(index).len() - depth >= red_zone.saturating_add(SWITCH_SLACK) =>
        {
            f()
        }
        _ => grow_and_run(ctx, red_zone, f),
    }
}

struct GrowCall<F, R> {
    f: Option<F>,
    result: Option<std::thread::Result<R>>,
}

#[inline(never)]
fn grow_and_run<R, F: FnOnce() -> R>(ctx: &ThreadCtx, red_zone: usize, f: F) -> R {
    let (Some(stack), Some(runtime)) = (ctx.stack(), runtime()) else {
        unreachable!("coroutine mode without a runtime");
    };
    // Read the stack pointer in the frame that switches: the switch happens
    // at this same stack pointer.
    let sp = arch::stack_pointer();
    let Some((index, depth)) = stack.locate(sp) else {
        panic!("coffi::maybe_grow: the stack pointer is in none of the coroutine's windows");
    };
    stack.room_at_depth(runtime.backing(), depth, red_zone);
    // Windows are page-aligned aliases, so the offset keeps the alignment.
    let offset = stack.newest().top as isize - stack.window(index).top as isize;
    let saved_top = stack.current_top.replace(stack.newest().top);
    let mut call = GrowCall {
        f: Some(f),
        result: None,
    };
    // SAFETY: the newest window aliases the current one; at the same depth
    // `sp + offset` has `red_zone` bytes below it there, and everything below
    // `sp` is free in every window. `run_grown` catches every panic.
    unsafe { arch::call_with_stack_offset((&raw mut call).cast(), offset, run_grown::<F, R>) };
    stack.current_top.set(saved_top);
    match call.result {
        Some(Ok(value)) => value,
        Some(Err(payload)) => resume_unwind(payload),
        None => unreachable!("maybe_grow's closure did not run"),
    }
}

/// Runs in the larger window.
unsafe extern "C" fn run_grown<F: FnOnce() -> R, R>(arg: *mut u8, _caller_sp: usize) {
    // SAFETY: `arg` is the `GrowCall` in `grow_and_run`'s frame, reachable
    // (and writable: maybe_grow never protects) at its old address.
    let call = unsafe { &mut *arg.cast::<GrowCall<F, R>>() };
    if let Some(f) = call.f.take() {
        call.result = Some(catch_unwind(AssertUnwindSafe(f)));
    }
}
