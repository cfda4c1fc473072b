//! Windows alias the same pages: a shim writes a result through the newest
//! window, at a depth where an earlier callback in that window had frames
//! that have since returned, and the coroutine reads it back through its
//! own window. Run under valgrind (`scripts/valgrind.sh`), memcheck must
//! not take either access for a bad one.

use coffi_tests::ffi;

/// Recurses `levels` frames (256 bytes of locals each) deeper on the current
/// window, then makes a foreign call whose callback runs on the newest one.
#[inline(never)]
fn call_deeper(levels: u32) -> i32 {
    let pad = std::hint::black_box([levels as u8; 256]);
    if levels == 0 {
        return ffi::returnAfterGrowFromGo() + i32::from(pad[0]);
    }
    call_deeper(levels - 1) + i32::from(pad[1]) - i32::from(pad[1])
}

fn scenario(builder: coffi::Builder) {
    let (first, later, relocations) = builder
        .initial_stack(16 * 1024)
        .run(|| {
            // A window large enough for every callback below: the stack
            // moves once, here.
            coffi::maybe_grow(1 << 20, || ());
            // The callback runs in the large window and uses tens of KiB of
            // it, from a shallow depth down.
            let first = ffi::returnAfterGrowFromGo();
            // Deeper in the first window: the callbacks run in the large
            // window again, and the shims write the results through it, at
            // depths the first callback used.
            let later: Vec<i32> = [2, 6, 12].into_iter().map(call_deeper).collect();
            (first, later, coffi::stack_info().unwrap().relocations)
        })
        .unwrap();
    assert_eq!(first, 8256);
    assert_eq!(later, vec![8256, 8256, 8256]);
    assert_eq!(relocations, 1, "the callbacks reuse the large window");
}

#[test]
fn a_result_written_through_a_reused_newer_window_reads_back() {
    scenario(coffi::Builder::new());
}

#[test]
fn the_same_in_strict_mode() {
    scenario(coffi::Builder::new().strict(true));
}
