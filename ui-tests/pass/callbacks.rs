//! `#[export_callback]` forms: options, `export_name`, `pub`, `unsafe`,
//! `_` parameters, returning `Option<extern "C" fn>`.

use coffi_ui_tests as _;
use core::ffi::c_int;

#[coffi::foreign_call]
unsafe extern "C" {
    fn mini_apply(f: Option<extern "C" fn(c_int) -> c_int>, x: c_int) -> c_int;
    fn mini_apply_picked(
        pick: Option<extern "C" fn() -> Option<extern "C" fn(c_int) -> c_int>>,
        x: c_int,
    ) -> c_int;
}

/// Needs more than the default 32 KiB (and more than the coroutine's
/// 16 KiB window: the stack moves before the body runs).
#[coffi::export_callback(stack = 131072)]
pub extern "C" fn ui_big(x: c_int) -> c_int {
    let buf = std::hint::black_box([1u8; 30_000]);
    assert!(coffi::stack_info().is_some_and(|s| s.relocations > 0));
    x + c_int::from(buf[29_999])
}

#[coffi::export_callback]
#[unsafe(export_name = "ui_renamed")]
extern "C" fn negate(x: c_int) -> c_int {
    -x
}

#[coffi::export_callback]
unsafe extern "C" fn ui_ignores(_: c_int) -> c_int {
    7
}

#[coffi::export_callback]
extern "C" fn ui_pick() -> Option<extern "C" fn(c_int) -> c_int> {
    Some(negate)
}

fn main() {
    coffi::run(|| {
        // SAFETY: plain C functions of c/mini.c, given valid fn pointers.
        unsafe {
            assert_eq!(mini_apply(Some(ui_big), 1), 2);
            assert_eq!(mini_apply(Some(negate), 4), -4);
            assert_eq!(mini_apply(Some(ui_ignores_wrapper), 0), 7);
            assert_eq!(mini_apply_picked(Some(ui_pick), 9), -9);
        }
    });
}

extern "C" fn ui_ignores_wrapper(x: c_int) -> c_int {
    // SAFETY: `ui_ignores` has no preconditions.
    unsafe { ui_ignores(x) }
}
