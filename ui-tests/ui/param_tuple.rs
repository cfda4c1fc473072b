#[coffi::foreign_call]
unsafe extern "C" {
    fn divmod(a: i32, b: i32) -> (i32, i32);
}

fn main() {}
