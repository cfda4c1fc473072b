#[repr(C)]
pub struct Node {
    value: i32,
}

#[coffi::foreign_call]
unsafe extern "C" {
    fn node_free(node: Box<Node>);
    fn node_new() -> Box<Node>;
}

fn main() {}
