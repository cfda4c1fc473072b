//! Re-pointing a stack's windows at other memory, for `fork`: the same
//! addresses, the same bytes, backed by a private copy or another file.

use super::{CoroutineStack, Window, strict};
use crate::os;
use std::io;
use std::os::fd::BorrowedFd;

/// How a window is mapped again.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Sharing {
    /// Shared with the backing: the window aliases every other window of
    /// the stack, as coffi always maps them.
    Shared,
    /// A private copy-on-write view of the backing: writes stay in this
    /// process (and this mapping).
    Private,
}

impl CoroutineStack {
    /// Every window this stack holds mapped, the spare included.
    pub(crate) fn mapped_windows(&self) -> impl Iterator<Item = Window> + '_ {
        self.windows().chain(self.spare.get())
    }

    /// Maps `window` again over its own addresses from `fd`, then makes the
    /// strict-mode protections inside it again.
    ///
    /// # Safety
    ///
    /// `window` must be a window of this stack, and `fd` must hold the bytes
    /// the window must show (the backing, or a copy of it); no code may run
    /// on the window meanwhile.
    pub(crate) unsafe fn remap(
        &self,
        window: &Window,
        fd: BorrowedFd<'_>,
        sharing: Sharing,
    ) -> io::Result<()> {
        for piece in self.layout.pieces(window.top, window.len()) {
            // SAFETY: forwarded from the caller; the piece is part of this
            // window's usable part, which coffi mapped and owns.
            unsafe {
                os::map_fixed(
                    piece.addr,
                    piece.len,
                    fd,
                    piece.offset,
                    sharing == Sharing::Private,
                )
            }?;
        }
        strict::reprotect(self, window)
    }

    /// Copies the pages of `window` this process wrote since it was mapped
    /// [`Sharing::Private`] into `fd` at their place in the backing.
    ///
    /// # Safety
    ///
    /// `window` must be a window of this stack, mapped private; no code may
    /// run on it meanwhile.
    pub(crate) unsafe fn write_back(&self, window: &Window, fd: BorrowedFd<'_>) -> io::Result<()> {
        for piece in self.layout.pieces(window.top, window.len()) {
            os::for_each_private_page(piece.addr, piece.len, |page, len| {
                // SAFETY: the page is mapped and readable: it is in the window.
                unsafe { os::write_at(fd, page, len, piece.offset + (page - piece.addr)) }
            })?;
        }
        Ok(())
    }
}
