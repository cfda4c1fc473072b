//! A name nothing defines: rustc cannot find it, and the build script says
//! how to define it (an alias, a C type, or a header's typedef).

#![allow(non_camel_case_types)]

#[coffi::foreign_call]
unsafe extern "C" {
    fn parse_number(x: number_t) -> core::ffi::c_int;
}

fn main() {}
