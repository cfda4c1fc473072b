//! A struct without `#[repr(C)]` by value: rustc rejects the missing derive,
//! and the build script, which sees the struct, says why it cannot cross.

pub struct Point {
    pub x: f64,
    pub y: f64,
}

#[coffi::foreign_call]
unsafe extern "C" {
    fn norm(p: Point) -> f64;
}

fn main() {}
