//! A struct with a bare fn pointer field has no zero value, which C gets
//! when a callback's body panics: returning it needs `on_panic`.

use core::ffi::c_int;

extern "C" fn noop(_: c_int) {}

#[repr(C)]
#[derive(coffi::CStruct)]
pub struct Handler {
    pub id: c_int,
    pub run: extern "C" fn(c_int),
}

#[coffi::export_callback]
extern "C" fn make_handler(id: c_int) -> Handler {
    Handler { id, run: noop }
}

// With `on_panic`, C gets the value given.
#[coffi::export_callback(on_panic = Handler { id: -1, run: noop })]
extern "C" fn make_handler_or_default(id: c_int) -> Handler {
    Handler { id, run: noop }
}

fn main() {}
