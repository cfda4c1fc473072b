package main

// The C of the line protocol, the very file coffi's server example runs
// (tests/c/request.c), compiled into this package. It is included here, in a
// file without //export, because a preamble next to //export may only
// declare.

// #cgo CFLAGS: -I${SRCDIR}/../../c
// #include "request.c"
import "C"

import "unsafe"

// handle runs the C handler over buf: request_reply appends a reply line to
// the replies behind h for every complete line. It returns the bytes
// consumed, or -1 when the callback asked to stop.
func handle(buf []byte, h uintptr) int {
	if len(buf) == 0 {
		return 0
	}
	return int(C.request_handle((*C.char)(unsafe.Pointer(&buf[0])), C.size_t(len(buf)), C.uintptr_t(h)))
}
