//! What the kernel alone charges for the page work behind a parked
//! coroutine, on this machine: the same system calls and page faults the
//! runtime makes, in the same geometry (a 64 KiB guard and a 16 KiB first
//! window per cell of one shared mapping of a memfd), without any coroutine.
//!
//! - Spawning a coroutine on a never used cell installs the cell's guard
//!   region and takes the first write fault on a fresh page of the memfd.
//! - Compacting a parked stack guards its used pages (the page is present:
//!   the guard zaps it), reads its used bytes, and punches the window's
//!   pages out of the memfd.
//! - Restoring it writes the bytes back (`pwrite` allocates the page),
//!   removes the guard, and the resumed coroutine's first access maps the
//!   page (a minor fault).
//! - A finished coroutine's page is punched out.
//!
//! Two passes, each over a memfd of its own: in one every coroutine
//! finishes uncompacted; in the other every cell is compacted, then each is
//! restored and finished in turn, as the compacted rows of the bench run.
//!
//! These are floors for the rows of the parked table: no runtime can spawn
//! a coroutine on a fresh page, or restore a compacted one, for less than
//! what the kernel takes for its page. An anonymous page (what a goroutine's
//! heap-allocated stack costs Go when its heap grows) is shown beside.

use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::time::Instant;

const KIB: usize = 1024;
const PAGE: usize = 4 * KIB;
/// The runtime's guard below every window (`os::guard_size`).
const GUARD: usize = 64 * KIB;
/// The default first window (`Builder::initial_stack`).
const INITIAL: usize = 16 * KIB;
const CELL: usize = GUARD + INITIAL;
/// Bytes a parked coroutine's stack holds in use (about what compaction
/// keeps).
const USED: usize = 512;
/// `MADV_GUARD_INSTALL` / `MADV_GUARD_REMOVE` (Linux 6.13; not in `libc`).
const MADV_GUARD_INSTALL: libc::c_int = 102;
const MADV_GUARD_REMOVE: libc::c_int = 103;

/// Nanoseconds per cell of each step.
#[derive(Default)]
struct Steps {
    spawn_guard: f64,
    spawn_fault: f64,
    compact_guard: f64,
    compact_read: f64,
    compact_punch: f64,
    restore_write: f64,
    restore_unguard: f64,
    restore_fault: f64,
    /// Punching a restored stack's page right after (a woken coroutine
    /// that returns).
    restored_finish_punch: f64,
    /// Punching a never compacted stack's page.
    finish_punch: f64,
    /// Wall time of restore and finish together, per cell.
    restore_and_finish: f64,
    anon_fault: f64,
}

/// Runs `step`, adds its time to `total`; panics with `what` if it fails.
fn timed(total: &mut f64, what: &str, step: impl FnOnce() -> libc::c_long) {
    let start = Instant::now();
    let rc = step();
    *total += start.elapsed().as_nanos() as f64;
    assert!(
        rc >= 0,
        "{what} failed: {}",
        std::io::Error::last_os_error()
    );
}

/// `count` cells in one shared mapping of a memfd of their own, laid out
/// as the runtime's chunks are.
struct Cells {
    fd: OwnedFd,
    base: usize,
    count: usize,
}

impl Cells {
    fn new(count: usize) -> Cells {
        // SAFETY: creates a file descriptor this function owns.
        let raw = unsafe { libc::memfd_create(c"coffi-kernel-floor".as_ptr(), libc::MFD_CLOEXEC) };
        assert!(
            raw >= 0,
            "memfd_create: {}",
            std::io::Error::last_os_error()
        );
        // SAFETY: `raw` is a fresh descriptor nothing else owns.
        let fd = unsafe { OwnedFd::from_raw_fd(raw) };
        // SAFETY: sizes the file we own.
        let rc = unsafe { libc::ftruncate(fd.as_raw_fd(), (count * CELL) as libc::off_t) };
        assert_eq!(rc, 0, "ftruncate: {}", std::io::Error::last_os_error());
        // SAFETY: a fresh shared mapping of our file; nothing else uses it.
        let base = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                count * CELL,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_SHARED,
                fd.as_raw_fd(),
                0,
            )
        };
        assert_ne!(
            base,
            libc::MAP_FAILED,
            "mmap: {}",
            std::io::Error::last_os_error()
        );
        Cells {
            fd,
            base: base as usize,
            count,
        }
    }

    /// Address of cell `i`'s stack top.
    fn top(&self, i: usize) -> usize {
        self.base + (i + 1) * CELL
    }

    fn madvise(&self, addr: usize, len: usize, advice: libc::c_int) -> libc::c_long {
        // SAFETY: a range of our own mapping, which holds nothing but the
        // bytes these measurements write.
        unsafe { libc::madvise(addr as *mut libc::c_void, len, advice) as libc::c_long }
    }

    /// Releases cell `i`'s first window pages from the file.
    fn punch(&self, i: usize) -> libc::c_long {
        // SAFETY: releases pages of our own file.
        unsafe {
            libc::fallocate(
                self.fd.as_raw_fd(),
                libc::FALLOC_FL_PUNCH_HOLE | libc::FALLOC_FL_KEEP_SIZE,
                ((i + 1) * CELL - INITIAL) as libc::off_t,
                INITIAL as libc::off_t,
            ) as libc::c_long
        }
    }

    /// File offset of cell `i`'s used bytes.
    fn used_offset(i: usize) -> libc::off_t {
        ((i + 1) * CELL - USED) as libc::off_t
    }

    /// Writes a byte of cell `i`'s used part.
    fn touch(&self, i: usize) -> libc::c_long {
        // SAFETY: a writable byte of our own mapping.
        unsafe { std::ptr::write_volatile((self.top(i) - USED) as *mut u8, 1) };
        0
    }

    /// Carves every cell (its guard) and takes its first write, as spawning
    /// does; adds the times to `s` when `timed_steps`.
    fn spawn_all(&self, s: &mut Steps, timed_steps: bool) {
        let (mut guard, mut fault) = (0.0, 0.0);
        for i in 0..self.count {
            timed(&mut guard, "guard install", || {
                self.madvise(self.base + i * CELL, GUARD, MADV_GUARD_INSTALL)
            });
            timed(&mut fault, "fresh page", || self.touch(i));
        }
        if timed_steps {
            s.spawn_guard = guard / self.count as f64;
            s.spawn_fault = fault / self.count as f64;
        }
    }
}

impl Drop for Cells {
    fn drop(&mut self) {
        // SAFETY: our own mapping; nothing refers to it any more.
        unsafe { libc::munmap(self.base as *mut libc::c_void, self.count * CELL) };
    }
}

/// Measures every step over `cells` cells; `None` when the kernel has no
/// guard regions for shared mappings (before 6.15).
fn measure(cells: usize) -> Option<Steps> {
    let mut s = Steps::default();
    let per = |total: f64| total / cells as f64;
    // Coroutines that spawn, park and finish, never compacted.
    let plain = Cells::new(cells);
    if plain.madvise(plain.base, GUARD, MADV_GUARD_INSTALL) < 0 {
        return None;
    }
    plain.spawn_all(&mut s, true);
    let mut finish = 0.0;
    for i in 0..cells {
        timed(&mut finish, "punch", || plain.punch(i));
    }
    s.finish_punch = per(finish);
    drop(plain);
    // Coroutines that are all compacted, then woken one after another,
    // each finishing right after its restore.
    let compacted = Cells::new(cells);
    compacted.spawn_all(&mut s, false);
    let mut saved = vec![0u8; USED];
    let (mut guard, mut read, mut punch) = (0.0, 0.0, 0.0);
    for i in 0..cells {
        timed(&mut guard, "guard install", || {
            compacted.madvise(compacted.top(i) - PAGE, PAGE, MADV_GUARD_INSTALL)
        });
        timed(&mut read, "pread", || {
            // SAFETY: reads into our buffer from our file.
            unsafe {
                libc::pread(
                    compacted.fd.as_raw_fd(),
                    saved.as_mut_ptr().cast(),
                    USED,
                    Cells::used_offset(i),
                ) as libc::c_long
            }
        });
        timed(&mut punch, "punch", || compacted.punch(i));
    }
    (s.compact_guard, s.compact_read, s.compact_punch) = (per(guard), per(read), per(punch));
    let (mut write, mut unguard, mut fault, mut finish) = (0.0, 0.0, 0.0, 0.0);
    let start = Instant::now();
    for i in 0..cells {
        timed(&mut write, "pwrite", || {
            // SAFETY: writes our buffer into our file.
            unsafe {
                libc::pwrite(
                    compacted.fd.as_raw_fd(),
                    saved.as_ptr().cast(),
                    USED,
                    Cells::used_offset(i),
                ) as libc::c_long
            }
        });
        timed(&mut unguard, "guard remove", || {
            compacted.madvise(compacted.top(i) - PAGE, PAGE, MADV_GUARD_REMOVE)
        });
        timed(&mut fault, "minor fault", || compacted.touch(i));
        timed(&mut finish, "punch", || compacted.punch(i));
    }
    s.restore_and_finish = per(start.elapsed().as_nanos() as f64);
    (s.restore_write, s.restore_unguard, s.restore_fault) = (per(write), per(unguard), per(fault));
    s.restored_finish_punch = per(finish);
    drop(compacted);
    // SAFETY: a fresh private anonymous mapping.
    let anon = unsafe {
        libc::mmap(
            std::ptr::null_mut(),
            cells * PAGE,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
            -1,
            0,
        )
    };
    assert_ne!(
        anon,
        libc::MAP_FAILED,
        "mmap: {}",
        std::io::Error::last_os_error()
    );
    let mut fault = 0.0;
    for i in 0..cells {
        timed(&mut fault, "anonymous page", || {
            // SAFETY: a writable byte of our own mapping.
            unsafe { std::ptr::write_volatile((anon as usize + i * PAGE) as *mut u8, 1) };
            0
        });
    }
    s.anon_fault = per(fault);
    // SAFETY: our own mapping.
    unsafe { libc::munmap(anon, cells * PAGE) };
    Some(s)
}

/// Prints the table for `cells` cells.
pub fn report(cells: usize) {
    let Some(s) = measure(cells) else {
        println!("\n(kernel floor: no guard regions for shared mappings on this kernel; skipped)");
        return;
    };
    let spawn = s.spawn_guard + s.spawn_fault;
    let restore = s.restore_write + s.restore_unguard + s.restore_fault;
    println!();
    println!(
        "Kernel floor ({cells} cells of a 64 KiB guard and a 16 KiB first window in one shared \
         mapping of a memfd; the runtime's system calls and faults, no coroutines; ns per cell):"
    );
    println!();
    println!("| step | kernel work | per coroutine |");
    println!("|---|---|---:|");
    let rows = [
        (
            "spawn",
            "guard region install (64 KiB, fresh)",
            s.spawn_guard,
        ),
        ("spawn", "first write: fresh memfd page", s.spawn_fault),
        (
            "compact",
            "guard region over the used page (zaps it)",
            s.compact_guard,
        ),
        ("compact", "pread of the used bytes", s.compact_read),
        ("compact", "PUNCH_HOLE of the window", s.compact_punch),
        (
            "restore",
            "pwrite of the used bytes (allocates the page)",
            s.restore_write,
        ),
        ("restore", "guard region removal", s.restore_unguard),
        ("restore", "first access: minor fault", s.restore_fault),
        (
            "finish",
            "PUNCH_HOLE of a restored stack, right after",
            s.restored_finish_punch,
        ),
        (
            "finish",
            "PUNCH_HOLE of a stack never compacted",
            s.finish_punch,
        ),
        ("(Go)", "first write: fresh anonymous page", s.anon_fault),
    ];
    for (step, work, ns) in rows {
        println!("| {step} | {work} | {ns:.0} ns |");
    }
    println!();
    println!(
        "Floors: spawn + first resume on a fresh cell {spawn:.0} ns; restoring a compacted stack \
         {restore:.0} ns, and with finishing it right after {:.0} ns of wall time (the floor of \
         the compacted rows' wake + resume + finish); finishing a stack never compacted {:.0} ns \
         (the other rows').",
        s.restore_and_finish, s.finish_punch
    );
}
