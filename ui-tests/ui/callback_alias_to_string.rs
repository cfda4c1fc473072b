//! An alias in a callback is checked by rustc (and resolved by the build
//! script, which rejects it at the same place).

#![allow(non_camel_case_types)]

type label_t = String;

#[coffi::export_callback]
extern "C" fn on_label(label: label_t) {
    drop(label);
}

fn main() {}
