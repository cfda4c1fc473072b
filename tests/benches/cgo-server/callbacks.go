package main

// #include <stddef.h>
// #include <stdint.h>
import "C"

import (
	"runtime/cgo"
	"unsafe"
)

// request_reply is the callback of tests/c/request.h: it appends one reply
// line and its '\n' to the replies behind the handle user.
//
//export request_reply
func request_reply(user C.uintptr_t, line *C.char, n C.size_t) C.int {
	r := cgo.Handle(user).Value().(*replies)
	r.bytes = append(r.bytes, unsafe.Slice((*byte)(unsafe.Pointer(line)), int(n))...)
	r.bytes = append(r.bytes, '\n')
	r.lines++
	return 0
}
