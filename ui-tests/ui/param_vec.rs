#[coffi::foreign_call]
unsafe extern "C" {
    fn checksum(data: Vec<u8>) -> u32;
}

fn main() {}
