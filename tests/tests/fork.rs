//! C that forks under a foreign call, after a callback moved the stack:
//! the child's writes to the coroutine's memory stay in the child.

use coffi_tests::ffi;

#[test]
fn a_child_forked_by_c_after_the_stack_moved_does_not_write_the_parent() {
    for strict in [false, true] {
        let (code, intact) = coffi::Builder::new()
            .initial_stack(16 * 1024)
            .strict(strict)
            .run(|| {
                let mut buf = [0x5au8; 4096];
                // SAFETY: the buffer outlives the call.
                let code = unsafe { ffi::fork_and_scribble(buf.as_mut_ptr(), buf.len()) };
                assert!(coffi::stack_info().unwrap().relocations >= 1);
                (code, buf.iter().all(|&b| b == 0x5a))
            })
            .unwrap();
        assert_eq!(
            code, 7,
            "the child saw its writes and the move (strict: {strict})"
        );
        assert!(
            intact,
            "the child's writes reached the parent (strict: {strict})"
        );
    }
}
