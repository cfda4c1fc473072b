//! Stacks really move: by aliasing, without copying, as far as the limit.

mod common;

use common::deep_sum;

#[test]
fn maybe_grow_moves_the_stack_and_old_addresses_alias_the_new_ones() {
    coffi::Builder::new()
        .initial_stack(16 * 1024)
        .run(|| {
            let before = coffi::stack_info().expect("on a coroutine");
            assert_eq!(before.window_len, 16 * 1024);
            let mut pattern = [0u8; 512];
            for (i, b) in pattern.iter_mut().enumerate() {
                *b = (i * 7 % 251) as u8;
            }
            let old_addr = pattern.as_mut_ptr() as usize;
            coffi::maybe_grow(256 * 1024, || {
                let after = coffi::stack_info().expect("on a coroutine");
                let delta = after.top as isize - before.top as isize;
                assert_ne!(delta, 0, "the stack top must move");
                assert!(after.relocations >= 1);
                assert!(after.window_len >= 256 * 1024, "{after:?}");
                assert!(
                    after.window_len - after.used >= 256 * 1024 - 1024,
                    "{after:?}"
                );
                // The same bytes, seen at the new address.
                let new_addr = (old_addr as isize + delta) as *mut u8;
                // SAFETY: `pattern` lives in the caller's frame; the new
                // window maps the same pages at `delta` from the old ones.
                let alias = unsafe { std::slice::from_raw_parts_mut(new_addr, 512) };
                assert_eq!(alias, &pattern[..]);
                // A write through the new address shows at the old one ...
                alias[3] = 0xAB;
                assert_eq!(std::hint::black_box(&pattern)[3], 0xAB);
                // ... and a write through the old one at the new.
                pattern[4] = 0xCD;
                assert_eq!(std::hint::black_box(&*alias)[4], 0xCD);
            });
            assert_eq!(pattern[3], 0xAB);
            assert_eq!(
                coffi::stack_info().unwrap().top,
                before.top,
                "back in the first window"
            );
        })
        .unwrap();
    assert!(coffi::stats().relocations >= 1);
}

#[inline(never)]
fn grow_sum(n: u32) -> u64 {
    let mut local = [0u8; 256];
    local[(n % 256) as usize] = 1;
    let local = std::hint::black_box(local);
    if n == 0 {
        return 0;
    }
    let below = coffi::maybe_grow(8 * 1024, || grow_sum(n - 1));
    below + u64::from(n) + u64::from(local[(n % 256) as usize]) - 1
}

#[test]
fn recursion_of_10000_levels_grows_from_16k() {
    let sum = coffi::Builder::new()
        .initial_stack(16 * 1024)
        .max_stack(256 << 20)
        .run(|| {
            let sum = grow_sum(10_000);
            let info = coffi::stack_info().unwrap();
            assert!(info.relocations >= 5, "{info:?}");
            sum
        })
        .unwrap();
    assert_eq!(sum, 10_000 * 10_001 / 2);
    let stats = coffi::stats();
    assert!(stats.relocations >= 5, "{stats:?}");
    assert!(stats.max_window >= 2 << 20, "{stats:?}");
}

/// Physical frame number of the page holding `addr`, if the kernel shows it.
fn physical_frame(addr: usize) -> Option<u64> {
    use std::io::{Read, Seek, SeekFrom};
    let mut f = std::fs::File::open("/proc/self/pagemap").ok()?;
    let page = 4096;
    f.seek(SeekFrom::Start((addr / page * 8) as u64)).ok()?;
    let mut entry = [0u8; 8];
    f.read_exact(&mut entry).ok()?;
    let entry = u64::from_le_bytes(entry);
    let present = entry >> 63 == 1;
    let pfn = entry & ((1 << 55) - 1);
    (present && pfn != 0).then_some(pfn)
}

#[test]
fn relocation_shares_physical_pages_instead_of_copying() {
    coffi::Builder::new()
        .initial_stack(1 << 20)
        .max_stack(64 << 20)
        .run(|| {
            // Use most of a 1 MiB window, then move.
            let mut big = [0u8; 900 * 1024];
            for (i, b) in big.iter_mut().enumerate().step_by(4096) {
                *b = (i / 4096) as u8 | 1;
            }
            let big = std::hint::black_box(&mut big);
            let old = big.as_ptr() as usize;
            let top0 = coffi::stack_info().unwrap().top;
            coffi::maybe_grow(4 << 20, || {
                let delta = coffi::stack_info().unwrap().top.wrapping_sub(top0);
                for page in (0..big.len()).step_by(4096) {
                    let new = (old + page).wrapping_add(delta) as *const u8;
                    // SAFETY: aliases `big[page]`, which is live in the caller.
                    assert_eq!(unsafe { new.read_volatile() }, big[page]);
                    if let (Some(a), Some(b)) =
                        (physical_frame(old + page), physical_frame(new as usize))
                    {
                        assert_eq!(a, b, "page {page} was copied, not aliased");
                    }
                }
            });
        })
        .unwrap();
}

#[test]
fn deep_sum_helper_is_right() {
    assert_eq!(deep_sum(100), 5050);
}

/// Whether some mapping of this process ends at `end`.
fn mapped_up_to(end: usize) -> bool {
    let maps = std::fs::read_to_string("/proc/self/maps").expect("read /proc/self/maps");
    maps.lines().any(|line| {
        let range = line.split_whitespace().next().unwrap_or("");
        let end_hex = range.split('-').nth(1).unwrap_or("");
        usize::from_str_radix(end_hex, 16) == Ok(end)
    })
}

#[test]
fn a_pooled_stack_reuses_its_grown_window_without_a_new_mapping() {
    coffi::run(|| {
        let grown_top = || coffi::maybe_grow(128 * 1024, || coffi::stack_info().unwrap().top);
        let first = coffi::spawn(grown_top).join().unwrap();
        assert!(
            mapped_up_to(first),
            "the finished coroutine's grown window stays mapped"
        );
        let second = coffi::spawn(grown_top).join().unwrap();
        assert_eq!(
            second, first,
            "the next coroutine grew into that same window"
        );
        assert_eq!(coffi::stats().relocations, 2);
    });
}

#[inline(never)]
fn grow_with_no_red_zone(n: u32) -> u32 {
    let pad = std::hint::black_box([1u8; 200]);
    if n == 0 {
        return 0;
    }
    coffi::maybe_grow(0, || grow_with_no_red_zone(n - 1)) + u32::from(pad[7])
}

#[test]
fn maybe_grow_with_a_zero_red_zone_still_leaves_room_to_move() {
    let sum = coffi::Builder::new()
        .initial_stack(8 * 1024)
        .max_stack(256 << 20)
        .run(|| grow_with_no_red_zone(20_000))
        .unwrap();
    assert_eq!(sum, 20_000);
}

#[test]
fn a_coroutine_carved_late_in_a_chunk_relocates_twice_and_keeps_every_alias() {
    coffi::Builder::new()
        .initial_stack(16 * 1024)
        .run(|| {
            // 100 parked coroutines fill the first chunks (16 and 32 first
            // windows) and part of the third, between the runtime's others.
            let parked: Vec<_> = (0..100).map(|_| coffi::spawn(coffi::yield_now)).collect();
            coffi::yield_now();
            coffi::spawn(|| {
                let mut shallow = [0x11u8; 256];
                let shallow_addr = shallow.as_mut_ptr() as usize;
                let top0 = coffi::stack_info().unwrap().top;
                coffi::maybe_grow(64 * 1024, move || {
                    // A local of the first grown window, in the slot's deep
                    // part.
                    let mut deep = [0x22u8; 8 * 1024];
                    let deep_addr = deep.as_mut_ptr() as usize;
                    let top1 = coffi::stack_info().unwrap().top;
                    coffi::maybe_grow(256 * 1024, move || {
                        let top2 = coffi::stack_info().unwrap().top;
                        assert_eq!(coffi::stack_info().unwrap().relocations, 2);
                        let at = |addr: usize, from: usize, to: usize| {
                            addr.wrapping_add(to.wrapping_sub(from)) as *mut u8
                        };
                        for (old, top_old, len, byte) in [
                            (shallow_addr, top0, 256, 0x11),
                            (deep_addr, top1, 8 * 1024, 0x22),
                        ] {
                            let new = at(old, top_old, top2);
                            for i in 0..len {
                                // SAFETY: the locals are live in the callers'
                                // frames; the newest window shows them at the
                                // same depth.
                                assert_eq!(unsafe { new.add(i).read_volatile() }, byte);
                            }
                            // SAFETY: as above: writes through the new alias.
                            unsafe { new.write_volatile(0x33) };
                            if let (Some(a), Some(b)) =
                                (physical_frame(old), physical_frame(new as usize))
                            {
                                assert_eq!(a, b, "a page was copied, not aliased");
                            }
                        }
                        // The first window's bytes, seen from the first
                        // grown window too.
                        let mid = at(shallow_addr, top0, top1);
                        // SAFETY: as above.
                        assert_eq!(unsafe { mid.read_volatile() }, 0x33);
                    });
                    assert_eq!(std::hint::black_box(&deep)[0], 0x33);
                });
                assert_eq!(std::hint::black_box(&shallow)[0], 0x33);
            })
            .join()
            .unwrap();
            parked.into_iter().for_each(|h| h.join().unwrap());
        })
        .unwrap();
}
