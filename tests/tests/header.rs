//! `#[foreign_call(header = "...")]`: the shim includes the C header (with a
//! struct-pointer API and a typedef) instead of declaring prototypes.

use coffi_tests::ffi;

#[test]
fn a_struct_pointer_api_declared_by_a_header() {
    let run = || {
        // SAFETY: the counter is created, used and freed once.
        unsafe {
            let c = ffi::counter_new(40);
            assert!(!c.is_null());
            assert_eq!(ffi::counter_add(c, 1), 41);
            assert_eq!(ffi::counter_add(c, 1), 42);
            ffi::counter_free(c);
        }
    };
    run();
    coffi::run(run);
}
