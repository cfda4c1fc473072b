//! Integration tests of coffi.
