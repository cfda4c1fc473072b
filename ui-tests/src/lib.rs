//! Compile-fail tests of the coffi macros live in `ui/`, run by `tests/ui.rs`.
