//! The bindings under test: `#[foreign_call]` blocks and `#[export_callback]`
//! functions, scanned by `build.rs` for the C shims.

#![allow(non_snake_case, non_camel_case_types)]

use crate::observe;
use core::ffi::{c_char, c_int, c_long, c_void};

pub mod decls;

#[coffi::foreign_call]
unsafe extern "C" {
    /// Seed scenario (a): calls `goReturnVal`, then returns 123456.
    pub safe fn returnAfterGrow() -> c_int;
    /// Seed scenario (b): returns what `goReturnVal` returned.
    pub safe fn returnAfterGrowFromGo() -> c_int;
    /// One C level of the nesting test: `nest_rust(level) * 2 + level`.
    pub safe fn nest_c(level: c_int) -> c_int;
    /// `a + b`.
    pub safe fn add_ints(a: c_int, b: c_int) -> c_int;
    /// `panicky_cb(x) + 1`.
    pub safe fn call_panicky(x: c_int) -> c_int;
    /// Returns what `backtrace_cb()` returns.
    pub safe fn call_backtrace_cb() -> c_int;
    /// Runs `thread_cb(x)` on a thread created with `pthread_create`.
    pub safe fn call_back_on_new_thread(x: c_int) -> c_int;
    /// Formats four long doubles using a 64 KiB scratch buffer on the stack.
    pub fn render_report(out: *mut c_char, len: usize, x: f64) -> c_int;
    /// libc's `qsort`.
    pub fn qsort(
        base: *mut c_void,
        nmemb: usize,
        size: usize,
        compar: Option<unsafe extern "C" fn(*const c_void, *const c_void) -> c_int>,
    );
    /// Does nothing (benchmarks).
    pub safe fn empty();
    /// `a + b` (benchmarks).
    pub safe fn add(a: c_int, b: c_int) -> c_int;
    /// Calls the empty callback `empty_cb` (benchmarks).
    pub safe fn call_empty_cb() -> c_int;
    /// Calls `fork_prelude_cb` (which moves a small stack), then forks; the
    /// child zeroes `buf` and exits 7 if it saw its writes and the move;
    /// returns the child's exit code (negative if fork or wait failed).
    pub fn fork_and_scribble(buf: *mut u8, len: usize) -> c_int;
}

#[coffi::foreign_call(errno)]
unsafe extern "C" {
    /// Sets `errno = ERANGE`, returns `2 * x`.
    pub safe fn fails_with_erange(x: c_int) -> c_int;
    /// Returns `x + 1` and leaves errno alone.
    pub safe fn succeeds_quietly(x: c_int) -> c_int;
    /// Sets `errno = ENOENT`, returns nothing.
    pub safe fn void_sets_enoent();
}

/// The opaque C `counter`.
#[repr(C)]
pub struct counter {
    _private: [u8; 0],
}

/// The C typedef `counter_value`.
pub type counter_value = c_long;

#[coffi::foreign_call(header = "c/counter.h")]
unsafe extern "C" {
    /// A new counter starting at `start`.
    pub fn counter_new(start: counter_value) -> *mut counter;
    /// Adds `by`, returns the new value.
    pub fn counter_add(c: *mut counter, by: counter_value) -> counter_value;
    /// Frees the counter.
    pub fn counter_free(c: *mut counter);
}

#[coffi::foreign_call(header = "regex.h")]
unsafe extern "C" {
    /// POSIX `regcomp`.
    pub fn regcomp(preg: *mut libc::regex_t, pattern: *const c_char, cflags: c_int) -> c_int;
    /// POSIX `regexec`.
    pub fn regexec(
        preg: *const libc::regex_t,
        string: *const c_char,
        nmatch: usize,
        pmatch: *mut libc::regmatch_t,
        eflags: c_int,
    ) -> c_int;
    /// POSIX `regfree`.
    pub fn regfree(preg: *mut libc::regex_t);
}

#[coffi::foreign_call(header = "c/request.h")]
unsafe extern "C" {
    /// The line protocol of `c/request.h`: handles every complete line of
    /// `buf[..len]`, calling `request_reply(user, ..)` once per reply line;
    /// returns the bytes consumed, or -1 when the callback asked to stop.
    pub fn request_handle(buf: *const c_char, len: usize, user: libc::uintptr_t) -> c_long;
}

unsafe extern "C" {
    /// Hand-written shim of `returnAfterGrow` that skips the delta adjustment.
    pub fn unadjusted_returnAfterGrow(frame: *mut c_void, top: *const usize);
    /// Hand-written shim of `returnAfterGrowFromGo` that skips the delta adjustment.
    pub fn unadjusted_returnAfterGrowFromGo(frame: *mut c_void, top: *const usize);
}

/// `1 + 2 + ... + n`, with a 256-byte buffer in every frame.
#[inline(never)]
pub fn grow_sum(n: c_int) -> c_int {
    let mut buf = [0u8; 256];
    buf[(n as usize) % 256] = n as u8;
    let buf = std::hint::black_box(buf);
    if n == 0 {
        return c_int::from(buf[0]);
    }
    n + grow_sum(n - 1)
}

/// The seed's callback: recurses 128 levels deep (more stack than a 16 KiB
/// coroutine has), returns `129 * 128 / 2 = 8256`.
#[coffi::export_callback(stack = 262144)]
extern "C" fn goReturnVal() -> c_int {
    grow_sum(128)
}

/// One Rust level of the nesting test: calls `nest_c(level - 1)` down to
/// level 0, which moves the stack.
#[coffi::export_callback(stack = 65536)]
extern "C" fn nest_rust(level: c_int) -> c_int {
    if level == 0 {
        return coffi::maybe_grow(256 * 1024, || grow_sum(100));
    }
    let below = nest_c(level - 1);
    observe::NEST_LEVELS.with_borrow_mut(|levels| levels.push((level, below)));
    below + 100
}

/// Panics for positive `x`.
#[coffi::export_callback]
extern "C" fn panicky_cb(x: c_int) -> c_int {
    if x > 0 {
        panic!("panicky_cb refused {x}");
    }
    x
}

/// Records a backtrace taken inside a callback, on the coroutine.
#[coffi::export_callback]
extern "C" fn backtrace_cb() -> c_int {
    let trace = std::backtrace::Backtrace::force_capture().to_string();
    observe::LAST_BACKTRACE.with_borrow_mut(|last| *last = trace);
    1
}

/// Called on a thread C created.
#[coffi::export_callback]
extern "C" fn thread_cb(x: c_int) -> c_int {
    use std::sync::atomic::Ordering::SeqCst;
    let on_coroutine = coffi::stack_info().is_some();
    observe::THREAD_CB_ON_COROUTINE.store(i32::from(on_coroutine), SeqCst);
    // SAFETY: pthread_self has no preconditions.
    observe::THREAD_CB_THREAD.store(unsafe { libc::pthread_self() } as u64, SeqCst);
    x * 3
}

/// `qsort` comparator of `c_int`s.
#[coffi::export_callback(stack = 8192)]
extern "C" fn cmp_ints(a: *const c_void, b: *const c_void) -> c_int {
    observe::COMPARISONS.set(observe::COMPARISONS.get() + 1);
    // SAFETY: qsort passes pointers to two elements of the int array.
    let (a, b) = unsafe { (*a.cast::<c_int>(), *b.cast::<c_int>()) };
    c_int::from(a > b) - c_int::from(a < b)
}

/// The comparator as the function pointer `qsort` takes.
pub fn int_comparator() -> Option<unsafe extern "C" fn(*const c_void, *const c_void) -> c_int> {
    Some(cmp_ints)
}

/// Sorts `v` with libc's `qsort` and the exported Rust comparator.
pub fn qsort_ints(v: &mut [c_int]) {
    // SAFETY: base, nmemb and size describe `v`; the comparator compares
    // `c_int`s.
    unsafe {
        qsort(
            v.as_mut_ptr().cast(),
            v.len(),
            size_of::<c_int>(),
            int_comparator(),
        )
    };
}

/// Run by `fork_and_scribble` before it forks: needs 256 KiB, so a small
/// coroutine's stack moves; returns 1 when it did.
#[coffi::export_callback(stack = 262144)]
extern "C" fn fork_prelude_cb() -> c_int {
    c_int::from(coffi::stack_info().is_some_and(|info| info.relocations > 0))
}

/// An empty callback (benchmarks).
#[coffi::export_callback(stack = 4096)]
extern "C" fn empty_cb() -> c_int {
    0
}

/// One reply line from `request_handle`: appended, with its `'\n'`, to the
/// [`Replies`](crate::request::Replies) whose heap address is `user`.
/// Declares 64 KiB of room, so from a 16 KiB coroutine the stack moves when
/// C first calls it.
#[coffi::export_callback(stack = 65536)]
extern "C" fn request_reply(user: libc::uintptr_t, line: *const c_char, len: usize) -> c_int {
    // SAFETY: `user` is the address `Replies::handle` passed to
    // `request_handle` (a live, heap-allocated `ReplyBuf` that nothing else
    // borrows during the call); `line[..len]` is C's reply, valid until we
    // return.
    let (out, line) = unsafe {
        (
            &mut *std::ptr::with_exposed_provenance_mut::<crate::request::ReplyBuf>(user),
            std::slice::from_raw_parts(line.cast::<u8>(), len),
        )
    };
    out.push_line(line)
}

#[coffi::foreign_call(blocking)]
unsafe extern "C" {
    /// Sleeps `ms` milliseconds (`usleep`) on a helper thread; returns `ms`.
    pub safe fn slow_sleep_ms(ms: c_int) -> c_int;
    /// On a helper thread: stores `pthread_self()` in `*c_thread`, then
    /// returns `cb(0) + .. + cb(n - 1)`.
    pub fn call_home(
        n: c_int,
        cb: Option<extern "C" fn(c_int) -> c_int>,
        c_thread: *mut u64,
    ) -> c_long;
    /// Like `sqlite3_exec`: `answers[i] = row(i)` for `i` in `0..n`, up to
    /// and including the first non-zero answer, which it returns (0 when
    /// there is none).
    pub fn exec_rows(
        n: c_int,
        row: Option<extern "C" fn(c_int) -> c_int>,
        answers: *mut c_int,
    ) -> c_int;
    /// `answers[i] = row(i)` for every `i` in `0..n`.
    pub fn all_rows(n: c_int, row: Option<extern "C" fn(c_int) -> c_int>, answers: *mut c_int);
}

#[coffi::foreign_call]
unsafe extern "C" {
    /// `exec_rows` as an ordinary foreign call, on the scheduler stack (the
    /// same shim as the blocking one).
    #[link_name = "exec_rows"]
    pub fn exec_rows_inline(
        n: c_int,
        row: Option<extern "C" fn(c_int) -> c_int>,
        answers: *mut c_int,
    ) -> c_int;
    /// `all_rows` as an ordinary foreign call.
    #[link_name = "all_rows"]
    pub fn all_rows_inline(
        n: c_int,
        row: Option<extern "C" fn(c_int) -> c_int>,
        answers: *mut c_int,
    );
}

#[coffi::foreign_call(blocking)]
unsafe extern "C" {
    /// Seed scenario (a) on a helper thread: `goReturnVal` runs at home.
    #[link_name = "returnAfterGrow"]
    pub safe fn returnAfterGrow_blocking() -> c_int;
    /// Seed scenario (b) on a helper thread.
    #[link_name = "returnAfterGrowFromGo"]
    pub safe fn returnAfterGrowFromGo_blocking() -> c_int;
}

#[coffi::foreign_call(blocking, errno)]
unsafe extern "C" {
    /// `fails_with_erange` on a helper thread: sets errno = ERANGE there,
    /// returns `2 * x`.
    #[link_name = "fails_with_erange"]
    pub safe fn fails_with_erange_blocking(x: c_int) -> c_int;
    /// `succeeds_quietly` on a helper thread: returns `x + 1`.
    #[link_name = "succeeds_quietly"]
    pub safe fn succeeds_quietly_blocking(x: c_int) -> c_int;
}

/// What the callbacks of blocking calls see and record.
pub mod home {
    use std::cell::{Cell, RefCell};
    use std::rc::Rc;
    use std::thread::ThreadId;

    thread_local! {
        /// Data a coroutine owns and shares with `home_cb` (not `Send`).
        pub static SHARED: RefCell<Option<Rc<RefCell<Vec<i32>>>>> = const { RefCell::new(None) };
        /// The thread every `home_cb` body ran on.
        pub static CB_THREADS: RefCell<Vec<ThreadId>> = const { RefCell::new(Vec::new()) };
        /// The row `row_cb` panics at.
        pub static PANIC_ROW: Cell<Option<i32>> = const { Cell::new(None) };
        /// The rows whose `row_cb` body ran.
        pub static ROWS_RUN: RefCell<Vec<i32>> = const { RefCell::new(Vec::new()) };
    }
}

/// Called back from `call_home` on a helper thread: sleeps 2 ms with
/// `coffi::sleep`, appends `i` to the coroutine's [`home::SHARED`] vector,
/// and returns `10 * i` plus its first element.
#[coffi::export_callback]
extern "C" fn home_cb(i: c_int) -> c_int {
    home::CB_THREADS.with_borrow_mut(|t| t.push(std::thread::current().id()));
    coffi::sleep(std::time::Duration::from_millis(2));
    let shared = home::SHARED
        .with_borrow(|s| s.clone())
        .expect("the coroutine sets home::SHARED");
    shared.borrow_mut().push(i);
    let first = shared.borrow()[0];
    10 * i + first
}

/// Needs 256 KiB of stack: `grow_sum(128) + i` (8256 + i).
#[coffi::export_callback(stack = 262144)]
extern "C" fn home_big_cb(i: c_int) -> c_int {
    grow_sum(128) + i
}

/// A row of `exec_rows`: records that it ran, panics at
/// [`home::PANIC_ROW`], answers 0 otherwise; C gets -1 from the panic.
#[coffi::export_callback(on_panic = -1)]
extern "C" fn row_cb(i: c_int) -> c_int {
    home::ROWS_RUN.with_borrow_mut(|r| r.push(i));
    if home::PANIC_ROW.get() == Some(i) {
        panic!("row {i} failed");
    }
    0
}

/// `home_cb` as the fn pointer C takes.
pub fn home_cb_ptr() -> Option<extern "C" fn(c_int) -> c_int> {
    Some(home_cb)
}

/// `home_big_cb` as the fn pointer C takes.
pub fn home_big_cb_ptr() -> Option<extern "C" fn(c_int) -> c_int> {
    Some(home_big_cb)
}

/// `row_cb` as the fn pointer C takes.
pub fn row_cb_ptr() -> Option<extern "C" fn(c_int) -> c_int> {
    Some(row_cb)
}

// Blocking calls in the benchmarks (tests/benches/blocking.rs): the C of
// tests/c/bench.c, declared `blocking` (a blocking and an ordinary
// declaration share one shim).
#[coffi::foreign_call(blocking)]
unsafe extern "C" {
    /// `add` on a helper thread: the round trip of a blocking call whose C
    /// returns at once (benchmarks).
    #[link_name = "add"]
    pub safe fn add_blocking(a: c_int, b: c_int) -> c_int;
    /// `call_empty_cb` on a helper thread: C calls the empty callback
    /// `empty_cb` once, which goes home to the coroutine (benchmarks).
    #[link_name = "call_empty_cb"]
    pub safe fn call_empty_cb_blocking() -> c_int;
}
