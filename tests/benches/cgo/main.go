// Command cgo-bench measures Go's cgo on the scenarios of coffi's benchmarks
// (tests/benches/calls.rs), so scripts/bench-vs-cgo.sh can put them side by
// side:
//
//	floor/empty, floor/add      a direct C-to-C call (C loop through a function pointer)
//	call/empty, call/add        a cgo call from a goroutine
//	callback                    Go -> C -> empty exported Go function -> back
//	seed                        fresh goroutine: C calls back into Go, which
//	                            recurses 128 levels x 256 bytes (the stack grows);
//	                            wait for it
//	grow/64KiB, 1MiB, 8MiB      fresh goroutine using that much stack, minus a
//	                            fresh goroutine using 1 KiB (stack growth by copying)
//	spawn                       go func(){ C.add(1, 2); done <- struct{}{} }(); <-done
//	blocking/sleep1000          1000 goroutines, each making a cgo call that sleeps
//	                            10 ms (usleep), started at once, waited for: the
//	                            wall time of the round (Go hands the P of a goroutine
//	                            blocked in C to another thread, starting threads as
//	                            needed); at the default GOMAXPROCS, and /gomaxprocs1
//	                            with GOMAXPROCS=1; /cold is the first round of the
//	                            process (its threads started inside it), run once
//	                            before every other benchmark
//
// With -parked N it measures N goroutines parked after a cgo call instead
// (parked.go; Go's side of tests/benches/parked.rs).
//
// Every benchmark runs -count times with testing.Benchmark; the median ns/op
// is printed, and written as "name<TAB>ns" lines to -out if given.
package main

// #include "bench.h"
import "C"

import (
	"flag"
	"fmt"
	"os"
	"runtime"
	"sort"
	"sync"
	"testing"
	"time"
)

var sinkInt int

type bench struct {
	name string
	fn   func(b *testing.B)
}

// freshGoroutine runs work on a new goroutine per op and waits for it.
func freshGoroutine(work func()) func(b *testing.B) {
	return func(b *testing.B) {
		done := make(chan struct{})
		for i := 0; i < b.N; i++ {
			go func() {
				work()
				done <- struct{}{}
			}()
			<-done
		}
	}
}

func benches() []bench {
	list := []bench{
		{"floor/empty", func(b *testing.B) {
			C.loop_empty(C.long(b.N))
		}},
		{"floor/add", func(b *testing.B) {
			sinkInt += int(C.loop_add(C.long(b.N)))
		}},
		{"call/empty", func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				C.empty()
			}
		}},
		{"call/add", func(b *testing.B) {
			acc := C.int(0)
			for i := 0; i < b.N; i++ {
				acc = C.add(acc, 1)
			}
			sinkInt += int(acc)
		}},
		{"callback", func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				C.call_empty_cb()
			}
		}},
		{"seed", func(b *testing.B) {
			done := make(chan C.int)
			for i := 0; i < b.N; i++ {
				go func() {
					done <- C.returnAfterGrow()
				}()
				if r := <-done; r != 123456 {
					panic(fmt.Sprintf("returnAfterGrow returned %d", r))
				}
			}
		}},
		{"spawn", func(b *testing.B) {
			done := make(chan struct{})
			for i := 0; i < b.N; i++ {
				go func() {
					C.add(1, 2)
					done <- struct{}{}
				}()
				<-done
			}
		}},
		{"blocking/sleep1000", sleepRounds(0)},
		{"blocking/sleep1000/gomaxprocs1", sleepRounds(1)},
		{"grow/base", freshGoroutine(func() { sinkByte += useStack(0) })},
	}
	for _, size := range []struct {
		name string
		kib  int
	}{{"64KiB", 64}, {"1MiB", 1024}, {"8MiB", 8192}} {
		depth := size.kib // frames of a little over 1 KiB each
		list = append(list,
			bench{"grow/" + size.name + "/fresh", freshGoroutine(func() { sinkByte += useStack(depth) })},
			// The same work on a stack that has already grown: what the
			// fresh run costs besides growing.
			bench{"grow/" + size.name + "/warm", func(b *testing.B) {
				sinkByte += useStack(depth)
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					sinkByte += useStack(depth)
				}
			}},
		)
	}
	return list
}

// sleepRound starts 1000 goroutines that each sleep 10 ms in C and waits
// for them.
func sleepRound() {
	var wg sync.WaitGroup
	wg.Add(1000)
	for j := 0; j < 1000; j++ {
		go func() {
			if C.slow_sleep_ms(10) != 10 {
				panic("slow_sleep_ms")
			}
			wg.Done()
		}()
	}
	wg.Wait()
}

// sleepRounds is the sleep benchmark at GOMAXPROCS=procs (0: the default).
func sleepRounds(procs int) func(b *testing.B) {
	return func(b *testing.B) {
		if procs > 0 {
			defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
		}
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			sleepRound()
		}
	}
}

func median(xs []float64) float64 {
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func main() {
	testing.Init()
	benchtime := flag.Duration("benchtime", time.Second, "target time per benchmark run")
	count := flag.Int("count", 3, "runs per benchmark; the median is reported")
	out := flag.String("out", "", "file for the machine-readable summary (name<TAB>ns)")
	filter := flag.String("run", "", "only benchmarks whose name starts with this")
	parkedN := flag.Int("parked", 0, "instead of the benchmarks: this many goroutines parked after a cgo call, their memory (see parked.go)")
	flag.Parse()
	if *parkedN > 0 {
		parked(*parkedN)
		return
	}
	if err := flag.Set("test.benchtime", benchtime.String()); err != nil {
		panic(err)
	}

	fmt.Printf("# %s %s/%s GOMAXPROCS=%d\n", runtime.Version(), runtime.GOOS, runtime.GOARCH, runtime.GOMAXPROCS(0))
	results := map[string]float64{}
	var order []string
	// The first round of the process, before any other benchmark started
	// threads: once, timed by hand.
	if name := "blocking/sleep1000/cold"; len(name) >= len(*filter) && name[:len(*filter)] == *filter {
		start := time.Now()
		sleepRound()
		results[name] = float64(time.Since(start).Nanoseconds())
		order = append(order, name)
		fmt.Printf("%-22s %14.2f ns/op  (one round, the first of the process)\n", name, results[name])
	}
	for _, bm := range benches() {
		if len(bm.name) < len(*filter) || bm.name[:len(*filter)] != *filter {
			continue
		}
		var runs []float64
		for i := 0; i < *count; i++ {
			r := testing.Benchmark(bm.fn)
			if r.N == 0 {
				panic("benchmark " + bm.name + " failed")
			}
			runs = append(runs, float64(r.T.Nanoseconds())/float64(r.N))
		}
		results[bm.name] = median(runs)
		order = append(order, bm.name)
		fmt.Printf("%-22s %14.2f ns/op  (runs:", bm.name, results[bm.name])
		for _, x := range runs {
			fmt.Printf(" %.2f", x)
		}
		fmt.Println(")")
	}
	// Stack growth: a fresh goroutine using N bytes minus one using 1 KiB.
	if base, ok := results["grow/base"]; ok {
		for _, size := range []string{"64KiB", "1MiB", "8MiB"} {
			if fresh, ok := results["grow/"+size+"/fresh"]; ok {
				name := "grow/" + size
				results[name] = fresh - base
				order = append(order, name)
				fmt.Printf("%-22s %14.2f ns/op  (fresh - base)\n", name, results[name])
			}
		}
	}
	if *out != "" {
		f, err := os.Create(*out)
		if err != nil {
			panic(err)
		}
		for _, name := range order {
			fmt.Fprintf(f, "%s\t%.3f\n", name, results[name])
		}
		if err := f.Close(); err != nil {
			panic(err)
		}
	}
}
