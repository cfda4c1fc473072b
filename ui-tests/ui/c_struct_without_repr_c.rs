//! `CStruct` needs `#[repr(C)]`: the C side lays the fields out in order.

#[derive(coffi::CStruct)]
pub struct Point {
    pub x: f64,
    pub y: f64,
}

fn main() {}
