#![allow(non_camel_case_types)]

// A local alias shadows the C name with a type of the same size that is
// not the C `int`: the macro sees only the name `c_int`, the compiler
// checks what it is.
type c_int = char;

#[coffi::foreign_call]
unsafe extern "C" {
    fn abs(x: c_int) -> core::ffi::c_int;
}

fn main() {}
