//! Every field of a `CStruct` must cross to C itself.

#[repr(C)]
#[derive(coffi::CStruct)]
pub struct Named {
    pub id: u32,
    pub name: String,
}

fn main() {}
