#![allow(non_camel_case_types)]

// `coffi_export.h` declares `size_t on_data(size_t len)`; this `size_t`
// is 4 bytes.
type size_t = u32;

#[coffi::export_callback]
extern "C" fn on_data(len: size_t) -> usize {
    len as usize
}

fn main() {}
