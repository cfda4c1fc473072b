#[coffi::foreign_call]
pub struct Handle {
    fd: i32,
}

fn main() {}
