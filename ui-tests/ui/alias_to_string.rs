#![allow(non_camel_case_types)]

/// The header declares `typedef const char *name_t;`, but the alias says
/// `String`: the macro cannot see through an alias, the compiler can.
pub type name_t = String;

#[coffi::foreign_call(header = "names.h")]
unsafe extern "C" {
    fn greet(name: name_t);
}

fn main() {}
