package main

// #include "bench.h"
import "C"

import (
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"time"
)

// memory is what /proc/self/status and /proc/self/maps say, in bytes
// (mappings: a count).
type memory struct {
	rss, anon, pageTables, mappings int
}

func readMemory() memory {
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		panic(err)
	}
	kib := func(field string) int {
		for _, line := range strings.Split(string(status), "\n") {
			if rest, ok := strings.CutPrefix(line, field); ok {
				n, _ := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")))
				return n * 1024
			}
		}
		return 0
	}
	maps, err := os.ReadFile("/proc/self/maps")
	if err != nil {
		panic(err)
	}
	return memory{kib("VmRSS:"), kib("RssAnon:"), kib("VmPTE:"), strings.Count(string(maps), "\n")}
}

// parked is Go's side of tests/benches/parked.rs: n goroutines alive at
// once, each parked on a channel after one cgo call (C.add); prints the
// differences of the process's memory divided by n, and the time to start
// them all and see each make its call, per goroutine, as a PARKED line:
// goroutines, resident, heap, page tables (bytes per goroutine, as floats),
// mappings per 1000 goroutines, ns per goroutine.
func parked(n int) {
	// Collect right away between the readings: the garbage collector would
	// otherwise leave freed heap counted in either.
	runtime.GC()
	debug.FreeOSMemory()
	before := readMemory()
	release := make(chan struct{})
	called := make(chan struct{}, n)
	start := time.Now()
	for i := 0; i < n; i++ {
		go func(i int) {
			sum := C.add(C.int(i), 1)
			called <- struct{}{}
			<-release
			sinkInt += 0 * int(sum)
		}(i)
	}
	for i := 0; i < n; i++ {
		<-called
	}
	elapsed := time.Since(start)
	runtime.GC()
	after := readMemory()
	per := func(b, a int) float64 { return float64(a-b) / float64(n) }
	fmt.Printf("PARKED %d %.1f %.1f %.1f %.2f %.0f\n", n,
		per(before.rss, after.rss), per(before.anon, after.anon),
		per(before.pageTables, after.pageTables),
		per(before.mappings, after.mappings)*1000,
		float64(elapsed.Nanoseconds())/float64(n))
	close(release)
}
