//! placeholder until the macro crate lands
use proc_macro::TokenStream;
#[proc_macro_attribute]
pub fn foreign_call(_a: TokenStream, i: TokenStream) -> TokenStream { i }
#[proc_macro_attribute]
pub fn export_callback(_a: TokenStream, i: TokenStream) -> TokenStream { i }
