#[coffi::foreign_call]
unsafe extern "system" {
    fn tick();
}

fn main() {}
