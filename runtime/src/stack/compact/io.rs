//! Reading and writing a compacted stack's bytes in the backing, and giving
//! up when that fails: without allocating, as the fault handler needs.

use std::os::fd::RawFd;

/// Reports a failure that leaves a compacted stack without its bytes, and
/// ends the process (with `write(2)`: this may run in a fault handler).
pub(super) fn fail(what: &str, err: std::io::Error) -> ! {
    let mut msg = [0u8; 256];
    let mut out = &mut msg[..];
    let _ = std::io::Write::write_fmt(
        &mut out,
        format_args!("coffi: idle-stack compaction: {what} failed: {err}; aborting\n"),
    );
    let len = 256 - out.len();
    // SAFETY: write(2) of our buffer to stderr; abort(3) ends the process.
    unsafe {
        libc::write(2, msg.as_ptr().cast(), len);
        libc::abort();
    }
}

pub(super) fn read_exact_at(fd: RawFd, buf: &mut [u8], offset: usize) -> std::io::Result<()> {
    let mut done = 0;
    while done < buf.len() {
        // SAFETY: `buf[done..]` is writable for its length.
        let n = unsafe {
            libc::pread(
                fd,
                buf[done..].as_mut_ptr().cast(),
                buf.len() - done,
                (offset + done) as libc::off_t,
            )
        };
        match n {
            n if n > 0 => done += n as usize,
            0 => return Err(std::io::ErrorKind::UnexpectedEof.into()),
            _ => {
                let err = std::io::Error::last_os_error();
                if err.kind() != std::io::ErrorKind::Interrupted {
                    return Err(err);
                }
            }
        }
    }
    Ok(())
}

pub(super) fn write_all_at(fd: RawFd, buf: &[u8], offset: usize) -> std::io::Result<()> {
    let mut done = 0;
    while done < buf.len() {
        // SAFETY: `buf[done..]` is readable for its length.
        let n = unsafe {
            libc::pwrite(
                fd,
                buf[done..].as_ptr().cast(),
                buf.len() - done,
                (offset + done) as libc::off_t,
            )
        };
        if n < 0 {
            let err = std::io::Error::last_os_error();
            if err.kind() != std::io::ErrorKind::Interrupted {
                return Err(err);
            }
            continue;
        }
        done += n as usize;
    }
    Ok(())
}
