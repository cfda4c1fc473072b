package main

// #include "bench.h"
import "C"

// sinkByte keeps the stack buffers of growSum and useStack observable.
var sinkByte byte

// empty_cb is the empty callback of the round-trip benchmark.
//
//export empty_cb
func empty_cb() C.int {
	return 0
}

// goReturnVal is the seed scenario's callback: it recurses 128 levels with a
// 256-byte buffer per level and returns 129 * 128 / 2 = 8256.
//
//export goReturnVal
func goReturnVal() C.int {
	return C.int(growSum(128))
}

// growSum returns 1 + 2 + ... + n, with a 256-byte buffer in every frame
// (the same recursion as coffi's tests/src/ffi.rs).
//
//go:noinline
func growSum(n int) int {
	var buf [256]byte
	buf[n%256] = byte(n)
	if n == 0 {
		return int(buf[0])
	}
	r := n + growSum(n-1)
	sinkByte = buf[(n*7)%256]
	return r
}

// useStack recurses depth levels with a 1 KiB buffer per frame, so it uses a
// little more than depth KiB of goroutine stack.
//
//go:noinline
func useStack(depth int) byte {
	var buf [1024]byte
	buf[depth%1024] = byte(depth)
	if depth == 0 {
		return buf[0]
	}
	r := useStack(depth - 1)
	return r + buf[(depth*7)%1024]
}
