//! `fork` never lets the child write the parent's coroutine stacks.
//!
//! Coroutine stacks are shared memory, so a plain `fork` would leave parent
//! and child writing the same pages: from the moment the system call
//! returns, both run `fork`'s own frames at the same addresses of the same
//! memory. Handlers registered with `pthread_atfork` (they run whoever
//! forks: std's `Command` on its fork path, Rust calling `libc::fork`, C
//! under a foreign call) prevent it:
//!
//! - before the fork, a coroutine that forks has the window it runs on
//!   mapped private (copy-on-write), so the frames both processes write
//!   from then on are their own;
//! - after it, the parent writes the pages it changed meanwhile back to
//!   the backing and maps the window shared again;
//! - the child copies its runtime's backing into a new shared-memory
//!   object (with its own changes to the forking window) and maps every
//!   window of every stack of the runtime from it, at the same addresses:
//!   aliasing holds in the child as in the parent, and nothing it writes
//!   reaches the parent.
//!
//! The handlers do their work on the scheduler stack, so no code runs on a
//! window while it is mapped anew. The child's copy costs time in
//! proportion to the stack memory the runtime holds; `posix_spawn` (std's
//! `Command` in its common case) does not fork and costs nothing here.
//!
//! Runtimes of other threads are not copied: their coroutines cannot run
//! in the child (their threads do not exist there), and the child reaches
//! their stacks only through pointers it already held.

use crate::arch;
use crate::context::{Mode, ctx};
use crate::os;
use crate::scheduler::{Runtime, runtime};
use crate::stack::remap::Sharing;
use crate::stack::{CoroutineStack, Window};
use std::cell::Cell;
use std::io;
use std::os::fd::{AsFd, AsRawFd};
use std::sync::Once;

static INSTALL: Once = Once::new();

thread_local! {
    /// The window `prepare` mapped private for the fork, and its stack.
    static PRIVATE: Cell<Option<(Window, *const CoroutineStack)>> = const { Cell::new(None) };
    /// A pipe the parent waits on until the child has its copy: the parent
    /// must not change the backing while the child copies it.
    static COPIED: Cell<Option<(libc::c_int, libc::c_int)>> = const { Cell::new(None) };
}

/// Registers the fork handlers, once per process.
pub(crate) fn install() {
    INSTALL.call_once(|| {
        // SAFETY: the handlers are `extern "C"` functions without arguments
        // that live for the whole process.
        let rc = unsafe { libc::pthread_atfork(Some(prepare), Some(parent), Some(child)) };
        if rc != 0 {
            eprintln!(
                "coffi: registering the fork handlers failed ({}); a fork from a coroutine would \
                 share its stacks with the child",
                io::Error::from_raw_os_error(rc)
            );
        }
    });
}

/// Runs `work` where no code runs on a coroutine window: on the scheduler
/// stack below its live frames when a coroutine runs, in place otherwise
/// (plain code, or C under a foreign call, are on the scheduler stack or a
/// thread's own stack already).
fn off_the_windows<R>(work: impl FnOnce() -> R) -> R {
    let ctx = ctx();
    if ctx.mode.get() != Mode::Coroutine {
        return work();
    }
    // On the scheduler stack the work is not on a coroutine (a panic hook
    // it triggered would otherwise switch to `sched_sp` again).
    let current = ctx.current.replace(std::ptr::null());
    ctx.mode.set(Mode::Plain);
    // SAFETY: in coroutine mode the scheduler stack is free below
    // `sched_sp` and has room down to its guard; while the work runs there
    // the thread is in plain mode, so nothing else starts at `sched_sp`.
    // `work` does not unwind (every failure here ends the process).
    let result = unsafe { arch::on_stack(ctx.sched_sp.get(), |_| work()) };
    ctx.mode.set(Mode::Coroutine);
    ctx.current.set(current);
    result
}

/// Reports a failure that leaves a process unable to go on, and ends it.
/// Writes with `write(2)`: in a child, a lock another thread held at the
/// fork stays locked.
fn fatal(who: &str, err: io::Error) -> ! {
    let mut msg = [0u8; 256];
    let mut out = &mut msg[..];
    let _ = std::io::Write::write_fmt(
        &mut out,
        format_args!(
            "coffi: fork: {who} failed: {err}; the coroutine stacks could not be kept apart; \
             aborting\n"
        ),
    );
    let len = 256 - out.len();
    // SAFETY: write(2) of our buffer to stderr; abort(3) ends the process.
    unsafe {
        libc::write(2, msg.as_ptr().cast(), len);
        libc::abort();
    }
}

/// Before the fork: a forking coroutine's window becomes private, and a
/// pipe is made for the child to say it has its copy.
extern "C" fn prepare() {
    if runtime().is_some() {
        let mut fds = [0; 2];
        // SAFETY: pipe2 fills the two descriptors we pass.
        if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } == 0 {
            COPIED.set(Some((fds[0], fds[1])));
        }
    }
    let ctx = ctx();
    let (Some(stack), Some(runtime), Mode::Coroutine) = (ctx.stack(), runtime(), ctx.mode.get())
    else {
        return;
    };
    let Some((index, _)) = stack.locate(arch::stack_pointer()) else {
        return;
    };
    let window = stack.window(index);
    // SAFETY: `window` is this stack's; nothing runs on it while the work
    // runs on the scheduler stack; the backing holds its bytes.
    let result =
        off_the_windows(|| unsafe { stack.remap(&window, runtime.backing(), Sharing::Private) });
    if let Err(err) = result {
        fatal("mapping the forking coroutine's window private", err);
    }
    PRIVATE.set(Some((window, stack)));
}

/// After the fork, in the parent: waits until the child has its copy of
/// the stacks; then the window is shared again, with what the parent wrote
/// to it meanwhile.
extern "C" fn parent() {
    if let Some((read, write)) = COPIED.take() {
        // SAFETY: the pipe's descriptors, made by `prepare` and closed here
        // once. The read ends at end of file when the child closed its
        // write end (done copying, or gone).
        unsafe {
            libc::close(write);
            let mut byte = 0u8;
            while libc::read(read, (&raw mut byte).cast(), 1) < 0
                && io::Error::last_os_error().kind() == io::ErrorKind::Interrupted
            {}
            libc::close(read);
        }
    }
    let (Some((window, stack)), Some(runtime)) = (PRIVATE.take(), runtime()) else {
        return;
    };
    // SAFETY: the stack is the running coroutine's, alive during the fork.
    let stack = unsafe { &*stack };
    let result = off_the_windows(|| {
        // SAFETY: the window was mapped private by `prepare`; nothing runs
        // on it meanwhile; the backing is the stack's.
        unsafe {
            stack.write_back(&window, runtime.backing())?;
            stack.remap(&window, runtime.backing(), Sharing::Shared)
        }
    });
    if let Err(err) = result {
        fatal("mapping the forking coroutine's window shared again", err);
    }
}

/// After the fork, in the child: every stack of the runtime on a copy of
/// its own.
extern "C" fn child() {
    let private = PRIVATE.take();
    let copied = COPIED.take();
    if let Some(runtime) = runtime() {
        if let Err(err) = off_the_windows(|| give_child_its_own_stacks(runtime, private)) {
            fatal("copying the coroutine stacks for the child", err);
        }
        // The helper threads did not come along.
        runtime.forget_blocking_pool_after_fork();
    }
    if let Some((read, write)) = copied {
        // SAFETY: the pipe's descriptors; closing the write end lets the
        // parent go on.
        unsafe {
            libc::close(read);
            libc::close(write);
        }
    }
}

fn give_child_its_own_stacks(
    runtime: &Runtime,
    private: Option<(Window, *const CoroutineStack)>,
) -> io::Result<()> {
    let backing = runtime.backing();
    let copy = os::memfd()?;
    os::set_len(&copy, os::file_len(backing)?)?;
    os::copy_file(backing, copy.as_fd())?;
    if let Some((window, stack)) = private {
        // SAFETY: the running coroutine's stack; its window is private
        // since `prepare`, and holds the freshest bytes of its pages.
        unsafe { (*stack).write_back(&window, copy.as_fd()) }?;
    }
    // The backing's descriptor now names the copy, for these mappings and
    // every later one.
    os::replace_fd(copy, backing.as_raw_fd())?;
    let mut result = Ok(());
    let mapped = runtime.with_pool(|pool| {
        for chunk in pool.chunks() {
            // SAFETY: nothing runs on a window while this runs off the
            // windows; the copy holds the chunk's bytes.
            if let Err(err) = unsafe { chunk.remap(backing) } {
                result = Err(err);
            }
        }
        pool.for_each_stack(|stack| {
            for window in stack.mapped_windows() {
                if window.is_carved() {
                    // Mapped again with its chunk: only strict mode's
                    // protections inside it are to be made again.
                    if let Err(err) = crate::stack::strict::reprotect(stack, &window) {
                        result = Err(err);
                    }
                    continue;
                }
                // SAFETY: a window of `stack`; nothing runs on it while
                // this runs off the windows; the copy holds its bytes.
                if let Err(err) = unsafe { stack.remap(&window, backing, Sharing::Shared) } {
                    result = Err(err);
                }
            }
        })
    });
    if mapped.is_none() {
        return Err(io::Error::other("the stack pool was in use"));
    }
    result
}
