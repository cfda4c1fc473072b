#[coffi::foreign_call]
unsafe extern "C" {
    fn ipv4_is_private(addr: [u8; 4]) -> bool;
}

fn main() {}
