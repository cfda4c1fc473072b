//! Where a coroutine's stack bytes live in the runtime's backing object.
//!
//! A slot of the backing is two ranges of the file, not one:
//!
//! - its *cell*, in the cell area of its chunk: a guard's worth of unused
//!   file, then the `initial` bytes of the first window. The cells of a
//!   chunk are consecutive, so one mapping shows the first windows of every
//!   coroutine of the chunk (see [`super::chunk`]), densely: a page-table
//!   page serves many coroutines.
//! - its *deep part*, in the deep area of its chunk: `limit - initial`
//!   bytes for the stack below the first window's depth, with a guard's
//!   worth of unused file below them.
//!
//! A byte at depth `d` below the stack top lives at `cell_end - d` while
//! `d <= initial`, and at `deep_end - (d - initial)` below that. A grown
//! window is two mappings placed end to end in memory: the deep part on the
//! bottom, the cell's window pages on the top. Every window of the slot
//! shows the byte at depth `d` from the same page of the file, which is
//! what relocation by aliasing needs.

/// The two ranges of the file that hold one slot's bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct SlotLayout {
    /// File offset one past the first window's pages: the stack top.
    pub(crate) cell_end: usize,
    /// File offset one past the deep part: where depth `initial` continues.
    pub(crate) deep_end: usize,
    /// Length of the first window, the part of the stack in the cell.
    pub(crate) initial: usize,
}

/// A run of a window's memory backed by one contiguous run of the file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Piece {
    /// Address of the run's first byte.
    pub(crate) addr: usize,
    pub(crate) len: usize,
    /// File offset of the run's first byte.
    pub(crate) offset: usize,
}

impl SlotLayout {
    /// The pieces a window of `len` bytes with top `top` is made of,
    /// lowest first: one for the first window, two for a grown one.
    pub(crate) fn pieces(&self, top: usize, len: usize) -> impl Iterator<Item = Piece> + use<> {
        let in_cell = len.min(self.initial);
        let deep = len - in_cell;
        let deep_piece = (deep > 0).then_some(Piece {
            addr: top - len,
            len: deep,
            offset: self.deep_end - deep,
        });
        let cell_piece = Piece {
            addr: top - in_cell,
            len: in_cell,
            offset: self.cell_end - in_cell,
        };
        deep_piece.into_iter().chain(std::iter::once(cell_piece))
    }

    /// The file ranges `(offset, len)` that hold depths `[shallow, deep)`.
    pub(crate) fn file_ranges(&self, shallow: usize, deep: usize) -> [(usize, usize); 2] {
        let cell = |d: usize| d.min(self.initial);
        let below = |d: usize| d.saturating_sub(self.initial);
        [
            (
                self.cell_end - cell(deep),
                cell(deep) - cell(shallow).min(cell(deep)),
            ),
            (
                self.deep_end - below(deep),
                below(deep) - below(shallow).min(below(deep)),
            ),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LAYOUT: SlotLayout = SlotLayout {
        cell_end: 100_000,
        deep_end: 900_000,
        initial: 16_000,
    };

    #[test]
    fn a_first_window_is_one_piece_of_the_cell() {
        let pieces: Vec<_> = LAYOUT.pieces(50_000, 16_000).collect();
        assert_eq!(
            pieces,
            [Piece {
                addr: 34_000,
                len: 16_000,
                offset: 84_000
            }]
        );
    }

    #[test]
    fn a_grown_window_is_the_deep_part_below_the_cell() {
        let pieces: Vec<_> = LAYOUT.pieces(1_000_000, 64_000).collect();
        assert_eq!(
            pieces,
            [
                Piece {
                    addr: 936_000,
                    len: 48_000,
                    offset: 852_000
                },
                Piece {
                    addr: 984_000,
                    len: 16_000,
                    offset: 84_000
                }
            ]
        );
    }

    #[test]
    fn every_window_shows_a_depth_from_the_same_file_offset() {
        let offset_of = |top: usize, len: usize, depth: usize| {
            LAYOUT
                .pieces(top, len)
                .find(|p| p.addr <= top - depth && top - depth < p.addr + p.len)
                .map(|p| p.offset + (top - depth - p.addr))
        };
        for depth in [1, 4096, 16_000, 16_001, 40_000] {
            let small = (depth <= 16_000).then(|| offset_of(50_000, 16_000, depth));
            let large = offset_of(1_000_000, 64_000, depth);
            let larger = offset_of(3_000_000, 128_000, depth);
            assert_eq!(large, larger, "depth {depth}");
            if let Some(small) = small {
                assert_eq!(small, large, "depth {depth}");
            }
        }
    }

    #[test]
    fn file_ranges_split_at_the_first_window_depth() {
        assert_eq!(
            LAYOUT.file_ranges(0, 40_000),
            [(84_000, 16_000), (876_000, 24_000)]
        );
        assert_eq!(
            LAYOUT.file_ranges(16_000, 40_000),
            [(84_000, 0), (876_000, 24_000)]
        );
        assert_eq!(
            LAYOUT.file_ranges(20_000, 40_000),
            [(84_000, 0), (876_000, 20_000)]
        );
        assert_eq!(
            LAYOUT.file_ranges(0, 8_000),
            [(92_000, 8_000), (900_000, 0)]
        );
    }
}
