// Command cgo-server is the Go counterpart of coffi's server example
// (tests/examples/server.rs): a TCP server of the line protocol of
// tests/c/request.h on 127.0.0.1, a goroutine per connection, every batch of
// request lines read handed to the same C (tests/c/request.c), which calls
// the exported Go function request_reply once per reply line. Run it with
// GOMAXPROCS=1 to compare with coffi's one thread.
//
//	GOMAXPROCS=1 ./cgo-server 7879     # port: first argument, else 7878
//
// It prints "listening on ADDR (pid PID)" once bound, and exits by itself
// after COFFI_SERVER_SECS seconds (600).
package main

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"runtime/cgo"
	"strconv"
	"syscall"
	"time"
)

// readBuf is the bytes read at once; coffi's server uses the same
// (READ_BUF in tests/src/request.rs).
const readBuf = 4096

// replies collects the reply lines of one handle call.
type replies struct {
	bytes []byte
	lines int
}

func main() {
	port := "7878"
	if len(os.Args) > 1 {
		port = os.Args[1]
	} else if p := os.Getenv("COFFI_SERVER_PORT"); p != "" {
		port = p
	}
	secs := 600
	if s := os.Getenv("COFFI_SERVER_SECS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil {
			fmt.Fprintln(os.Stderr, "server: COFFI_SERVER_SECS is not a number")
			os.Exit(2)
		}
		secs = n
	}
	ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", port))
	if err != nil {
		fmt.Fprintln(os.Stderr, "server:", err)
		os.Exit(1)
	}
	fmt.Printf("listening on %s (pid %d)\n", ln.Addr(), os.Getpid())
	time.AfterFunc(time.Duration(secs)*time.Second, func() {
		fmt.Fprintf(os.Stderr, "server: %d s are up, exiting\n", secs)
		os.Exit(0)
	})
	for {
		conn, err := ln.Accept()
		if err != nil {
			// Out of descriptors, most likely: back off a little.
			fmt.Fprintln(os.Stderr, "server: accept:", err)
			time.Sleep(10 * time.Millisecond)
			continue
		}
		go serve(conn)
	}
}

// serve answers every complete line through the C handler, until the peer
// closes. (Go sets TCP_NODELAY on accepted connections itself.)
func serve(conn net.Conn) {
	defer conn.Close()
	r := &replies{}
	h := cgo.NewHandle(r)
	defer h.Delete()
	buf := make([]byte, readBuf)
	filled := 0
	for {
		n, err := conn.Read(buf[filled:])
		if n == 0 || err != nil {
			if err != nil && err != io.EOF && !errors.Is(err, syscall.ECONNRESET) {
				fmt.Fprintln(os.Stderr, "server: connection:", err)
			}
			return
		}
		filled += n
		consumed := handle(buf[:filled], uintptr(h))
		if consumed < 0 {
			fmt.Fprintln(os.Stderr, "server: connection: the request handler stopped")
			return
		}
		if r.lines > 0 {
			if _, err := conn.Write(r.bytes); err != nil {
				fmt.Fprintln(os.Stderr, "server: connection:", err)
				return
			}
			r.bytes = r.bytes[:0]
			r.lines = 0
		}
		filled = copy(buf, buf[consumed:filled])
		if filled == len(buf) {
			conn.Write([]byte("ERR line too long\n"))
			return
		}
	}
}
