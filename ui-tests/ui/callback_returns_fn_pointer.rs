extern "C" fn twice(x: i32) -> i32 {
    2 * x
}

#[coffi::export_callback]
extern "C" fn pick() -> extern "C" fn(i32) -> i32 {
    twice
}

fn main() {}
