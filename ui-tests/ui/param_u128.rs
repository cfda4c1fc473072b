#[coffi::foreign_call]
unsafe extern "C" {
    fn mul_wide(a: u64, b: u64) -> u128;
    fn hash(x: i128) -> u64;
}

fn main() {}
