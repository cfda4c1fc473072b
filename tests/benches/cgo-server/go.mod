module coffi.invalid/tests/benches/cgo-server

go 1.19
