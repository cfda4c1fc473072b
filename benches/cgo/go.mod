module coffi.invalid/benches/cgo

go 1.19
