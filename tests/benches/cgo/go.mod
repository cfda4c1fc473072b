module coffi.invalid/tests/benches/cgo

go 1.19
