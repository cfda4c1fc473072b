//! Keeping clear of `vm.max_map_count`, without allocating.
//!
//! Near the limit, `mmap` and `brk` fail for the whole process, so reading
//! `/proc/self/maps` into a `String` fails too, and so would any allocation
//! the program makes after coffi took the last mappings. coffi counts the
//! mappings its windows hold, re-reads the process's count (into a stack
//! buffer) only when its estimate comes near the limit, and refuses a new
//! window that would leave fewer than [`HEADROOM`] mappings to the rest of
//! the process.

use std::io;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Mappings left to the rest of the process: allocators, threads, libraries.
pub(crate) const HEADROOM: usize = 1024;

/// Mappings coffi's windows hold now, in the whole process.
static OURS: AtomicUsize = AtomicUsize::new(0);
/// The process's mapping count at the last reading, and `OURS` then.
static READ_TOTAL: AtomicUsize = AtomicUsize::new(0);
static READ_OURS: AtomicUsize = AtomicUsize::new(0);

/// Takes `n` mappings from the budget before making them; fails with
/// `ENOMEM` (reported as the mapping limit) when that would leave less
/// than [`HEADROOM`].
pub(crate) fn take(n: usize) -> io::Result<()> {
    let ours = OURS.fetch_add(n, Ordering::Relaxed) + n;
    let max = max_map_count();
    if max == 0 {
        return Ok(());
    }
    let estimate =
        READ_TOTAL.load(Ordering::Relaxed) + ours - READ_OURS.load(Ordering::Relaxed).min(ours);
    if estimate + HEADROOM < max {
        return Ok(());
    }
    // Near the limit: count for real. The `n` are not mapped yet.
    let total = process_mappings().unwrap_or(estimate);
    READ_TOTAL.store(total, Ordering::Relaxed);
    READ_OURS.store(ours - n, Ordering::Relaxed);
    if total + n + HEADROOM > max {
        OURS.fetch_sub(n, Ordering::Relaxed);
        return Err(io::Error::from_raw_os_error(libc::ENOMEM));
    }
    Ok(())
}

/// Counts `n` mappings made beyond what [`take`] took.
pub(crate) fn add(n: usize) {
    OURS.fetch_add(n, Ordering::Relaxed);
}

/// Gives back `n` mappings taken with [`take`] (unmapped, or never made).
pub(crate) fn give_back(n: usize) {
    OURS.fetch_sub(n, Ordering::Relaxed);
}

/// `vm.max_map_count`, read once (0 if unknown).
pub(crate) fn max_map_count() -> usize {
    static MAX: AtomicUsize = AtomicUsize::new(usize::MAX);
    let known = MAX.load(Ordering::Relaxed);
    if known != usize::MAX {
        return known;
    }
    let mut buf = [0u8; 32];
    let max = read_into(
        c"/proc/sys/vm/max_map_count",
        &mut buf,
        |chunk, acc: &mut usize| {
            for &b in chunk {
                if b.is_ascii_digit() {
                    *acc = acc.saturating_mul(10).saturating_add(usize::from(b - b'0'));
                }
            }
        },
    )
    .unwrap_or(0);
    MAX.store(max, Ordering::Relaxed);
    max
}

/// Mappings of this process: lines of `/proc/self/maps`, counted in a
/// stack buffer.
pub(crate) fn process_mappings() -> Option<usize> {
    let mut buf = [0u8; 4096];
    read_into(c"/proc/self/maps", &mut buf, |chunk, lines: &mut usize| {
        *lines += chunk.iter().filter(|&&b| b == b'\n').count();
    })
}

/// Reads the file at `path` through `buf`, folding each chunk into an
/// accumulator that starts at 0.
fn read_into(
    path: &std::ffi::CStr,
    buf: &mut [u8],
    mut fold: impl FnMut(&[u8], &mut usize),
) -> Option<usize> {
    // SAFETY: a NUL-terminated path; the descriptor is closed below.
    let fd = unsafe { libc::open(path.as_ptr(), libc::O_RDONLY | libc::O_CLOEXEC) };
    if fd < 0 {
        return None;
    }
    let mut acc = 0;
    let ok = loop {
        // SAFETY: `buf` is writable for its length.
        let n = unsafe { libc::read(fd, buf.as_mut_ptr().cast(), buf.len()) };
        match n {
            0 => break true,
            n if n > 0 => fold(&buf[..n as usize], &mut acc),
            _ if io::Error::last_os_error().kind() == io::ErrorKind::Interrupted => {}
            _ => break false,
        }
    };
    // SAFETY: the descriptor was opened above and is not used after this.
    unsafe { libc::close(fd) };
    ok.then_some(acc)
}
