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

/// Nanoseconds per cell of each step, summed over the cells.
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
    finish_punch: f64,
    anon_fault: f64,
}

/// Runs `step` and adds its time to `total`; panics with `what` if it fails.
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

/// Measures every step over `cells` cells; `None` when the kernel has no
/// guard regions for shared mappings (before 6.15).
fn measure(cells: usize) -> Option<Steps> {
    // SAFETY: creates a file descriptor this function owns.
    let raw = unsafe { libc::memfd_create(c"coffi-kernel-floor".as_ptr(), libc::MFD_CLOEXEC) };
    assert!(
        raw >= 0,
        "memfd_create: {}",
        std::io::Error::last_os_error()
    );
    // SAFETY: `raw` is a fresh descriptor nothing else owns.
    let fd = unsafe { OwnedFd::from_raw_fd(raw) };
    let len = cells * CELL;
    // SAFETY: sizes the file this function owns.
    let rc = unsafe { libc::ftruncate(fd.as_raw_fd(), len as libc::off_t) };
    assert_eq!(rc, 0, "ftruncate: {}", std::io::Error::last_os_error());
    // SAFETY: a fresh shared mapping of our file; nothing else uses it.
    let base = unsafe {
        libc::mmap(
            std::ptr::null_mut(),
            len,
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
    let base = base as usize;
    let madvise = |addr: usize, len: usize, advice| -> libc::c_long {
        // SAFETY: a range of our own mapping, which holds nothing but the
        // bytes this function writes.
        unsafe { libc::madvise(addr as *mut libc::c_void, len, advice) as libc::c_long }
    };
    let fd = fd.as_raw_fd();
    let punch = |offset: usize, len: usize| -> libc::c_long {
        // SAFETY: releases pages of our own file.
        unsafe {
            libc::fallocate(
                fd,
                libc::FALLOC_FL_PUNCH_HOLE | libc::FALLOC_FL_KEEP_SIZE,
                offset as libc::off_t,
                len as libc::off_t,
            ) as libc::c_long
        }
    };
    let touch = |addr: usize| {
        // SAFETY: a writable byte of our own mapping.
        unsafe { std::ptr::write_volatile(addr as *mut u8, 1) };
        0
    };
    if madvise(base, GUARD, MADV_GUARD_INSTALL) < 0 {
        // SAFETY: our own mapping, unused.
        unsafe { libc::munmap(base as *mut libc::c_void, len) };
        return None;
    }
    let mut s = Steps::default();
    let top = |i: usize| base + (i + 1) * CELL;
    for i in 0..cells {
        if i > 0 {
            timed(&mut s.spawn_guard, "guard install", || {
                madvise(base + i * CELL, GUARD, MADV_GUARD_INSTALL)
            });
        }
        timed(&mut s.spawn_fault, "fresh page", || touch(top(i) - USED));
    }
    let mut saved = vec![0u8; USED];
    for i in 0..cells {
        let offset = (i + 1) * CELL;
        timed(&mut s.compact_guard, "guard install", || {
            madvise(top(i) - PAGE, PAGE, MADV_GUARD_INSTALL)
        });
        timed(&mut s.compact_read, "pread", || {
            // SAFETY: reads into our buffer from our file.
            unsafe {
                libc::pread(
                    fd,
                    saved.as_mut_ptr().cast(),
                    USED,
                    (offset - USED) as libc::off_t,
                ) as libc::c_long
            }
        });
        timed(&mut s.compact_punch, "punch", || {
            punch(offset - INITIAL, INITIAL)
        });
    }
    for i in 0..cells {
        let offset = (i + 1) * CELL;
        timed(&mut s.restore_write, "pwrite", || {
            // SAFETY: writes our buffer into our file.
            unsafe {
                libc::pwrite(
                    fd,
                    saved.as_ptr().cast(),
                    USED,
                    (offset - USED) as libc::off_t,
                ) as libc::c_long
            }
        });
        timed(&mut s.restore_unguard, "guard remove", || {
            madvise(top(i) - PAGE, PAGE, MADV_GUARD_REMOVE)
        });
        timed(&mut s.restore_fault, "minor fault", || touch(top(i) - USED));
    }
    for i in 0..cells {
        let offset = (i + 1) * CELL;
        timed(&mut s.finish_punch, "punch", || {
            punch(offset - INITIAL, INITIAL)
        });
    }
    // SAFETY: our own mapping; nothing refers to it any more.
    unsafe { libc::munmap(base as *mut libc::c_void, len) };
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
    for i in 0..cells {
        timed(&mut s.anon_fault, "anonymous page", || {
            touch(anon as usize + i * PAGE)
        });
    }
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
    let per = |total: f64| total / cells as f64;
    let spawn = per(s.spawn_guard + s.spawn_fault);
    let restore = per(s.restore_write + s.restore_unguard + s.restore_fault);
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
        ("finish", "PUNCH_HOLE of a finished stack", s.finish_punch),
        ("(Go)", "first write: fresh anonymous page", s.anon_fault),
    ];
    for (step, work, total) in rows {
        println!("| {step} | {work} | {:.0} ns |", per(total));
    }
    println!();
    println!(
        "Floor of spawn + first resume on a fresh cell: {spawn:.0} ns; of restoring a compacted \
         stack: {restore:.0} ns."
    );
}
