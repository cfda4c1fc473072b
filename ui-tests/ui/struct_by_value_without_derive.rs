//! A `#[repr(C)]` struct by value needs `#[derive(coffi::CStruct)]`, which
//! checks its fields; rustc says so at the parameter.

#[repr(C)]
pub struct Point {
    pub x: f64,
    pub y: f64,
}

#[coffi::foreign_call]
unsafe extern "C" {
    fn norm(p: Point) -> f64;
}

fn main() {}
