#[coffi::foreign_call]
unsafe extern "Rust" {
    fn tick();
}

fn main() {}
