//! Page-level copies for `fork`: which pages a private mapping wrote, and
//! copying bytes between memory and files without a heap buffer (these run
//! in `fork` handlers, where allocating is best avoided).

use std::io;
use std::os::fd::{AsRawFd, BorrowedFd};

/// `/proc/self/pagemap`: the page is present.
const PM_PRESENT: u64 = 1 << 63;
/// `/proc/self/pagemap`: the page is a file page or shared anonymous memory
/// (clear for a private page a copy-on-write made).
const PM_FILE_OR_SHARED: u64 = 1 << 61;

/// Calls `f(page, len)` for every run of pages of `[addr, addr + len)` that
/// is private anonymous memory: in a private file mapping, the pages this
/// process wrote.
pub(crate) fn for_each_private_page(
    addr: usize,
    len: usize,
    mut f: impl FnMut(usize, usize) -> io::Result<()>,
) -> io::Result<()> {
    let page = super::page_size();
    // SAFETY: a NUL-terminated path; the descriptor is closed below.
    let fd = unsafe {
        libc::open(
            c"/proc/self/pagemap".as_ptr(),
            libc::O_RDONLY | libc::O_CLOEXEC,
        )
    };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    let result = (|| {
        let mut entries = [0u64; 64];
        let pages = len / page;
        let mut index = 0;
        while index < pages {
            let count = (pages - index).min(entries.len());
            let at = ((addr / page + index) * 8) as libc::off_t;
            // SAFETY: `entries` is writable for `count` entries.
            let got = unsafe { libc::pread(fd, entries.as_mut_ptr().cast(), count * 8, at) };
            if got != (count * 8) as isize {
                return Err(io::Error::last_os_error());
            }
            for (i, entry) in entries[..count].iter().enumerate() {
                if entry & PM_PRESENT != 0 && entry & PM_FILE_OR_SHARED == 0 {
                    f(addr + (index + i) * page, page)?;
                }
            }
            index += count;
        }
        Ok(())
    })();
    // SAFETY: opened above, not used after this.
    unsafe { libc::close(fd) };
    result
}

/// Writes the `len` bytes at `addr` into `fd` at `offset`.
///
/// # Safety
///
/// `[addr, addr + len)` must be readable.
pub(crate) unsafe fn write_at(
    fd: BorrowedFd<'_>,
    addr: usize,
    len: usize,
    offset: usize,
) -> io::Result<()> {
    let mut done = 0;
    while done < len {
        // SAFETY: the caller makes the range readable.
        let n = unsafe {
            libc::pwrite(
                fd.as_raw_fd(),
                (addr + done) as *const libc::c_void,
                len - done,
                (offset + done) as libc::off_t,
            )
        };
        if n < 0 {
            let err = io::Error::last_os_error();
            if err.kind() != io::ErrorKind::Interrupted {
                return Err(err);
            }
            continue;
        }
        done += n as usize;
    }
    Ok(())
}

/// Copies the data of `from` (a sparse file: only its data extents) into
/// `to` at the same offsets; `to` must be as long.
pub(crate) fn copy_file(from: BorrowedFd<'_>, to: BorrowedFd<'_>) -> io::Result<()> {
    let (from, to) = (from.as_raw_fd(), to.as_raw_fd());
    let mut at: libc::off_t = 0;
    loop {
        // SAFETY: plain syscalls on descriptors the caller owns.
        let data = unsafe { libc::lseek(from, at, libc::SEEK_DATA) };
        if data < 0 {
            let err = io::Error::last_os_error();
            // ENXIO: no data past `at`.
            return if err.raw_os_error() == Some(libc::ENXIO) {
                Ok(())
            } else {
                Err(err)
            };
        }
        // SAFETY: as above.
        let hole = unsafe { libc::lseek(from, data, libc::SEEK_HOLE) };
        if hole < 0 {
            return Err(io::Error::last_os_error());
        }
        let (mut src, mut dst) = (data, data);
        while src < hole {
            // SAFETY: both offsets are ours; the kernel copies between the files.
            let n = unsafe {
                libc::copy_file_range(from, &mut src, to, &mut dst, (hole - src) as usize, 0)
            };
            if n < 0 {
                let err = io::Error::last_os_error();
                if err.kind() != io::ErrorKind::Interrupted {
                    return Err(err);
                }
            } else if n == 0 {
                return Err(io::Error::from(io::ErrorKind::UnexpectedEof));
            }
        }
        at = hole;
    }
}
