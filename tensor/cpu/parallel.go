// Package cpu holds gcdet's CPU kernels: plain functions over contiguous
// float32 slices, with no knowledge of tensors or autograd. The tensor
// package's CPU backend calls them. Work is split across a bounded number of
// goroutines (SetThreads; default GOMAXPROCS, or env GCDET_THREADS). On
// amd64 with AVX2 and FMA the GEMM micro-kernels (gemm_amd64.s) and the
// contiguous elementwise and norm loops (elementwise_amd64.s, through
// vec.go) run in assembly; elsewhere portable Go loops compute the same.
package cpu

import (
	"runtime"
	"sync"
	"sync/atomic"
)

var threads atomic.Int64

func init() { threads.Store(int64(envThreads(runtime.GOMAXPROCS(0)))) }

// SetThreads bounds the goroutines a kernel uses (n < 1 means 1).
func SetThreads(n int) {
	if n < 1 {
		n = 1
	}
	threads.Store(int64(n))
}

// Threads is the current bound.
func Threads() int { return int(threads.Load()) }

// Parallel calls f on disjoint chunks [lo, hi) covering [0, n), using up to
// Threads() goroutines, with chunks of at least grain items. It runs f
// inline when the work is small.
//
// The chunks are fixed (one per goroutine, so results never depend on
// scheduling); the calling goroutine takes chunks too, and a helper that
// the OS starts late finds its chunk already done: the caller waits only
// for chunks in progress, never for a goroutine to be scheduled.
func Parallel(n, grain int, f func(lo, hi int)) {
	if n <= 0 {
		return
	}
	if grain < 1 {
		grain = 1
	}
	w := Threads()
	if max := (n + grain - 1) / grain; w > max {
		w = max
	}
	if w <= 1 {
		f(0, n)
		return
	}
	chunk := (n + w - 1) / w
	chunks := (n + chunk - 1) / chunk
	var next atomic.Int64
	var wg sync.WaitGroup
	wg.Add(chunks)
	run := func() {
		for {
			i := int(next.Add(1)) - 1
			if i >= chunks {
				return
			}
			f(i*chunk, min(i*chunk+chunk, n))
			wg.Done()
		}
	}
	for k := 1; k < chunks; k++ {
		go run()
	}
	run()
	wg.Wait()
}
