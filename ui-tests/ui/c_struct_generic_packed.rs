//! Neither a packed nor a generic struct crosses by value.

#[repr(C, packed)]
#[derive(coffi::CStruct)]
pub struct Packed {
    pub tag: u8,
    pub value: u32,
}

#[repr(C)]
#[derive(coffi::CStruct)]
pub struct Pair<T> {
    pub a: T,
    pub b: T,
}

fn main() {}
