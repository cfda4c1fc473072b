//! The UI suite: `ui/` must fail to compile with the committed `.stderr`,
//! `pass/` must compile and run. One trybuild run for both.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("ui/*.rs");
    t.pass("pass/*.rs");
}
