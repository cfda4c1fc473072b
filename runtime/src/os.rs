//! Thin, checked wrappers over the Linux calls the stacks are made of.

pub(crate) mod map_limit;
mod pages;

pub(crate) use pages::{copy_file, for_each_private_page, write_at};

use crate::error::{Error, ErrorKind};
use std::io;
use std::os::fd::{AsRawFd, BorrowedFd, FromRawFd, OwnedFd};
use std::sync::OnceLock;

/// The system page size.
pub(crate) fn page_size() -> usize {
    static PAGE: OnceLock<usize> = OnceLock::new();
    *PAGE.get_or_init(|| {
        // SAFETY: sysconf has no memory-safety preconditions.
        let size = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
        usize::try_from(size).unwrap_or(4096).max(4096)
    })
}

/// Bytes of guard below every coroutine window. Larger than a page so that
/// C code compiled without stack-clash protection, whose frames may skip a
/// single guard page, still lands in it; a guard region costs no memory.
pub(crate) fn guard_size() -> usize {
    round_to_page(64 * 1024)
}

/// Rounds `n` up to a multiple of the page size.
pub(crate) fn round_to_page(n: usize) -> usize {
    let page = page_size();
    n.div_ceil(page).saturating_mul(page)
}

/// Turns a failed call into an [`Error`] naming the limit that was hit.
pub(crate) fn os_error(what: &str, err: io::Error) -> Error {
    match err.raw_os_error() {
        Some(libc::ENOMEM) => {
            let (maps, max) = map_count();
            if max > 0 && maps + map_limit::HEADROOM + 64 >= max {
                Error::new(
                    ErrorKind::MapCountLimit,
                    format!(
                        "coffi: {what} failed: the process has {maps} memory mappings and \
                         vm.max_map_count is {max}; coffi leaves {headroom} of them to the rest \
                         of the process. {per}, and each grown window of a relocated coroutine \
                         {grown} more. Raise it with `sysctl -w vm.max_map_count={}`",
                        max.saturating_mul(4),
                        headroom = map_limit::HEADROOM,
                        per = match guard_regions::mappings_per_window() {
                            1 => "The first windows of up to 1024 coroutines share 1 mapping",
                            _ =>
                                "Without guard regions (an older kernel, valgrind or \
                                  COFFI_GUARD_PAGES=mapping) each live coroutine needs 2 \
                                  mappings (window + guard)",
                        },
                        grown = match guard_regions::mappings_per_window() {
                            1 => "needs 2",
                            _ => "needs 3",
                        },
                    ),
                )
            } else {
                Error::new(
                    ErrorKind::OutOfMemory,
                    format!(
                        "coffi: {what} failed: out of memory or address space ({err}); \
                         check RLIMIT_AS (`ulimit -v`), and lower Builder::max_stack or \
                         Builder::initial_stack"
                    ),
                )
            }
        }
        Some(libc::EFBIG) => Error::new(
            ErrorKind::FileSizeLimit,
            format!(
                "coffi: {what} failed: the stacks of a runtime live in one sparse file of \
                 Builder::max_stack plus 128 KiB per coroutine slot, in chunks of up to 1024 \
                 slots, and the file size limit (RLIMIT_FSIZE, {} bytes) is below that; raise \
                 it (`ulimit -f`) or lower Builder::max_stack",
                file_size_limit()
            ),
        ),
        Some(libc::EMFILE) | Some(libc::ENFILE) => Error::new(
            ErrorKind::FileLimit,
            format!(
                "coffi: {what} failed: too many open files ({err}); coffi needs one descriptor \
                 per runtime thread; raise RLIMIT_NOFILE (`ulimit -n`)"
            ),
        ),
        _ => Error::new(ErrorKind::Os, format!("coffi: {what} failed: {err}")),
    }
}

/// Number of mappings of this process and `vm.max_map_count` (0 if
/// unknown), read without allocating.
pub(crate) fn map_count() -> (usize, usize) {
    (
        map_limit::process_mappings().unwrap_or(0),
        map_limit::max_map_count(),
    )
}

/// Reserves `len` bytes of inaccessible address space.
pub(crate) fn reserve(len: usize) -> io::Result<usize> {
    // SAFETY: a fresh anonymous mapping at an address the kernel picks; it
    // aliases nothing.
    let addr = unsafe {
        libc::mmap(
            std::ptr::null_mut(),
            len,
            libc::PROT_NONE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE,
            -1,
            0,
        )
    };
    if addr == libc::MAP_FAILED {
        Err(io::Error::last_os_error())
    } else {
        Ok(addr as usize)
    }
}

/// Maps `len` bytes of `fd` at `offset`, shared and writable, at an address
/// the kernel picks.
pub(crate) fn map_shared(len: usize, fd: BorrowedFd<'_>, offset: usize) -> io::Result<usize> {
    let offset =
        libc::off_t::try_from(offset).map_err(|_| io::Error::from_raw_os_error(libc::EOVERFLOW))?;
    // SAFETY: a fresh mapping at an address the kernel picks; it aliases only
    // the memory object, which this crate owns.
    let addr = unsafe {
        libc::mmap(
            std::ptr::null_mut(),
            len,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_SHARED,
            fd.as_raw_fd(),
            offset,
        )
    };
    if addr == libc::MAP_FAILED {
        Err(io::Error::last_os_error())
    } else {
        Ok(addr as usize)
    }
}

/// `MADV_GUARD_INSTALL` (Linux 6.13; shared file mappings since 6.15).
const MADV_GUARD_INSTALL: libc::c_int = 102;

/// Makes `[addr, addr + len)` a guard region: any access faults.
///
/// # Safety
///
/// The range must be part of a mapping this crate owns and that holds no data.
pub(crate) unsafe fn install_guard(addr: usize, len: usize) -> io::Result<()> {
    // SAFETY: the caller owns the range and keeps nothing in it.
    if unsafe { libc::madvise(addr as *mut libc::c_void, len, MADV_GUARD_INSTALL) } == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// Maps `len` bytes of `fd` at `offset` over `addr`, which must lie inside a
/// reservation made by [`reserve`] and owned by the caller.
///
/// # Safety
///
/// `[addr, addr + len)` must be part of a mapping the caller owns and that
/// nothing else refers to.
pub(crate) unsafe fn map_shared_fixed(
    addr: usize,
    len: usize,
    fd: BorrowedFd<'_>,
    offset: usize,
) -> io::Result<()> {
    // SAFETY: forwarded from the caller.
    unsafe { map_fixed(addr, len, fd, offset, false) }
}

/// Maps `len` bytes of `fd` at `offset`, writable, over `[addr, addr + len)`:
/// shared with the file, or a private copy-on-write view of it.
///
/// # Safety
///
/// The range must be a mapping the caller owns; whatever it showed is
/// replaced.
pub(crate) unsafe fn map_fixed(
    addr: usize,
    len: usize,
    fd: BorrowedFd<'_>,
    offset: usize,
    private: bool,
) -> io::Result<()> {
    let offset =
        libc::off_t::try_from(offset).map_err(|_| io::Error::from_raw_os_error(libc::EOVERFLOW))?;
    let sharing = if private {
        libc::MAP_PRIVATE
    } else {
        libc::MAP_SHARED
    };
    // SAFETY: the caller owns the range; MAP_FIXED replaces what it showed.
    let got = unsafe {
        libc::mmap(
            addr as *mut libc::c_void,
            len,
            libc::PROT_READ | libc::PROT_WRITE,
            sharing | libc::MAP_FIXED,
            fd.as_raw_fd(),
            offset,
        )
    };
    if got == libc::MAP_FAILED {
        Err(io::Error::last_os_error())
    } else {
        Ok(())
    }
}

/// Unmaps a range this crate mapped.
///
/// # Safety
///
/// Nothing may use `[addr, addr + len)` afterwards.
pub(crate) unsafe fn unmap(addr: usize, len: usize) {
    // SAFETY: the caller gives up the range.
    let rc = unsafe { libc::munmap(addr as *mut libc::c_void, len) };
    debug_assert_eq!(rc, 0, "munmap: {}", io::Error::last_os_error());
}

/// Changes the protection of a range this crate mapped.
///
/// # Safety
///
/// The range must be a mapping this crate owns; with `writable == false`,
/// writes to it fault until it is made writable again.
pub(crate) unsafe fn protect(addr: usize, len: usize, writable: bool) -> io::Result<()> {
    let prot = if writable {
        libc::PROT_READ | libc::PROT_WRITE
    } else {
        libc::PROT_READ
    };
    // SAFETY: the caller owns the range.
    if unsafe { libc::mprotect(addr as *mut libc::c_void, len, prot) } == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// Makes a range this crate mapped inaccessible: a guard made of its own
/// mapping, where guard regions are missing (it splits the mapping it is
/// part of).
///
/// # Safety
///
/// The range must be part of a mapping this crate owns and hold no data.
pub(crate) unsafe fn protect_none(addr: usize, len: usize) -> io::Result<()> {
    // SAFETY: the caller owns the range and keeps nothing in it.
    if unsafe { libc::mprotect(addr as *mut libc::c_void, len, libc::PROT_NONE) } == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// Creates the sparse shared-memory object that backs a runtime's stacks.
pub(crate) fn memfd() -> io::Result<OwnedFd> {
    // SAFETY: the name is a NUL-terminated literal.
    let fd = unsafe { libc::memfd_create(c"coffi-stacks".as_ptr(), libc::MFD_CLOEXEC) };
    if fd < 0 {
        Err(io::Error::last_os_error())
    } else {
        // SAFETY: `fd` was just created and is owned by nobody else.
        Ok(unsafe { OwnedFd::from_raw_fd(fd) })
    }
}

/// The largest file this process may write (`RLIMIT_FSIZE`), in bytes.
pub(crate) fn file_size_limit() -> usize {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit writes the struct we pass.
    if unsafe { libc::getrlimit(libc::RLIMIT_FSIZE, &mut limit) } != 0
        || limit.rlim_cur == libc::RLIM_INFINITY
    {
        return usize::MAX;
    }
    usize::try_from(limit.rlim_cur).unwrap_or(usize::MAX)
}

/// Sets the size of the backing object (sparse: no memory is committed).
///
/// A size past `RLIMIT_FSIZE` is refused with `EFBIG` before the kernel
/// would send `SIGXFSZ`, which kills the process.
pub(crate) fn set_len(fd: &OwnedFd, len: usize) -> io::Result<()> {
    if len > file_size_limit() {
        return Err(io::Error::from_raw_os_error(libc::EFBIG));
    }
    let len = libc::off_t::try_from(len).map_err(|_| io::Error::from_raw_os_error(libc::EFBIG))?;
    // SAFETY: plain syscall on a descriptor we own.
    if unsafe { libc::ftruncate(fd.as_raw_fd(), len) } == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// The length of the file `fd`.
pub(crate) fn file_len(fd: BorrowedFd<'_>) -> io::Result<usize> {
    // SAFETY: an all-zero stat is a valid value to fill in.
    let mut stat: libc::stat = unsafe { std::mem::zeroed() };
    // SAFETY: fstat writes the struct we pass.
    if unsafe { libc::fstat(fd.as_raw_fd(), &mut stat) } != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(usize::try_from(stat.st_size).unwrap_or(0))
}

/// Makes descriptor number `target` name `new`'s file (close-on-exec), and
/// closes `new`.
pub(crate) fn replace_fd(new: OwnedFd, target: std::os::fd::RawFd) -> io::Result<()> {
    // SAFETY: dup3 on descriptors this crate owns; `target` is replaced
    // atomically, so every user of the number sees the new file.
    if unsafe { libc::dup3(new.as_raw_fd(), target, libc::O_CLOEXEC) } < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// Frees the physical pages of `[offset, offset + len)` of the backing object.
pub(crate) fn punch_hole(fd: &OwnedFd, offset: usize, len: usize) {
    punch_hole_raw(fd.as_raw_fd(), offset, len);
}

/// [`punch_hole`] on a descriptor number.
pub(crate) fn punch_hole_raw(fd: std::os::fd::RawFd, offset: usize, len: usize) {
    if len == 0 {
        return;
    }
    let (Ok(offset), Ok(len)) = (libc::off_t::try_from(offset), libc::off_t::try_from(len)) else {
        return;
    };
    // SAFETY: plain syscall on a descriptor we own; the range is ours. A
    // failure only means the pages stay resident until the runtime ends.
    unsafe {
        libc::fallocate(
            fd,
            libc::FALLOC_FL_PUNCH_HOLE | libc::FALLOC_FL_KEEP_SIZE,
            offset,
            len,
        )
    };
}

/// Whether guard pages can be guard regions inside the window's mapping.
pub(crate) mod guard_regions {
    use std::sync::atomic::{AtomicBool, Ordering};

    static UNSUPPORTED: AtomicBool = AtomicBool::new(false);
    static CHECKED_ENV: std::sync::Once = std::sync::Once::new();

    /// Set to `mapping` to use a separate guard mapping even where guard
    /// regions work (to test that path, or to compare).
    pub(crate) const ENV: &str = "COFFI_GUARD_PAGES";

    /// True until the kernel refused a guard region once (or `ENV` says
    /// no, or the process runs under valgrind, which does not know guard
    /// regions: it would take the region for ordinary memory).
    pub(crate) fn supported() -> bool {
        CHECKED_ENV.call_once(|| {
            if std::env::var(ENV).as_deref() == Ok("mapping")
                || crate::valgrind::running_on_valgrind()
            {
                unsupported();
            }
        });
        !UNSUPPORTED.load(Ordering::Relaxed)
    }

    pub(crate) fn unsupported() {
        UNSUPPORTED.store(true, Ordering::Relaxed);
    }

    /// Mappings a coroutine's window costs.
    pub(crate) fn mappings_per_window() -> usize {
        if supported() { 1 } else { 2 }
    }
}
