//! `#[foreign_call(blocking)]` alone and with `errno` and `header`, and
//! `#[export_callback(on_panic = EXPR)]` with and without `stack`.

use coffi_ui_tests as _;
use core::ffi::c_int;

#[coffi::foreign_call(blocking)]
unsafe extern "C" {
    fn mini_apply(f: Option<extern "C" fn(c_int) -> c_int>, x: c_int) -> c_int;
}

#[coffi::foreign_call(header = "c/mini.h", errno, blocking)]
unsafe extern "C" {
    pub safe fn mini_set_errno(e: c_int);
}

#[coffi::export_callback(on_panic = -7)]
extern "C" fn ui_fails(x: c_int) -> c_int {
    if x > 0 {
        panic!("ui_fails: {x}");
    }
    x
}

#[coffi::export_callback(stack = 262144, on_panic = c_int::MIN)]
extern "C" fn ui_fails_big(x: c_int) -> c_int {
    let buf = std::hint::black_box([1u8; 40_000]);
    if x > 0 {
        panic!("ui_fails_big");
    }
    x + c_int::from(buf[39_999])
}

fn main() {
    // The panics below are expected: keep them out of the test's output.
    std::panic::set_hook(Box::new(|_| {}));
    coffi::run(|| {
        assert_eq!(mini_set_errno(libc::EDOM), coffi::Errno(libc::EDOM));
        // SAFETY: `mini_apply` calls the fn pointer it is given.
        unsafe {
            assert_eq!(mini_apply(Some(ui_fails), -2), -2);
            assert_eq!(mini_apply(Some(ui_fails_big), 0), 1);
        }
        let got = coffi::spawn(|| {
            // SAFETY: as above.
            let r = unsafe { mini_apply(Some(ui_fails), 3) };
            unreachable!("the panic resumes when C returns, got {r}")
        })
        .join();
        assert!(got.is_err());
        let got = coffi::spawn(|| {
            // SAFETY: as above.
            unsafe { mini_apply(Some(ui_fails_big), 1) }
        })
        .join();
        assert!(got.is_err());
        assert_eq!(coffi::stats().blocking_calls, 5);
    });
    // Outside a coroutine the call runs in place; C gets the value.
    // SAFETY: as above.
    let r = std::panic::catch_unwind(|| unsafe { mini_apply(Some(ui_fails), 1) });
    assert!(r.is_err());
}
