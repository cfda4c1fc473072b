#[coffi::foreign_call]
unsafe extern "C" {
    fn sum(values: impl Iterator<Item = i32>) -> i64;
}

fn main() {}
