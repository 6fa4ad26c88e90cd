package optim

import (
	"runtime"
	"syscall"
	"testing"
	"time"
	"unsafe"
)

// cpuClock reads a CPU-time clock with nanosecond resolution. getrusage's
// per-thread times are not usable here: on this kernel they move in
// scheduler ticks (4 ms), the size of a whole SGD step.
func cpuClock(id uintptr) time.Duration {
	var ts syscall.Timespec
	if _, _, e := syscall.Syscall(syscall.SYS_CLOCK_GETTIME, id, uintptr(unsafe.Pointer(&ts)), 0); e != 0 {
		panic("optim: clock_gettime: " + e.Error())
	}
	return time.Duration(ts.Nano())
}

// threadCPU is the calling thread's CPU time (user + system).
func threadCPU() time.Duration { return cpuClock(3 /* CLOCK_THREAD_CPUTIME_ID */) }

// processCPU is the process's CPU time (user + system, all threads).
func processCPU() time.Duration { return cpuClock(2 /* CLOCK_PROCESS_CPUTIME_ID */) }

// BenchmarkGCOverheadCPU is BenchmarkGCOverhead on one worker, measured in
// the thread's CPU time rather than wall time: on a machine shared with
// other jobs, time spent waiting for a core drops out (memory stalls, and
// memory-bandwidth contention from the other jobs, stay in). Each
// measurement covers 3 steps.
func BenchmarkGCOverheadCPU(b *testing.B) {
	ps := sharedBenchParams()
	for _, algo := range []string{AlgoSGD, AlgoAdamW} {
		b.Run(algo, func(b *testing.B) {
			runtime.LockOSThread() // b.Run runs this on its own goroutine
			defer runtime.UnlockOSThread()
			mk := func(scope string) *Optimizer {
				cfg := DefaultConfig()
				cfg.Algorithm, cfg.ClipNorm, cfg.LR = algo, 0, 1e-6
				cfg.GC.Scope = scope
				o, err := New(ps, cfg, Options{Workers: 1})
				if err != nil {
					b.Fatal(err)
				}
				o.Step()
				return o
			}
			opts := []*Optimizer{mk(ScopeOff), mk(ScopeAll)}
			times := make([][]float64, 2)
			for i := 0; i < b.N; i++ {
				for j, o := range opts {
					c0 := threadCPU()
					o.Step()
					o.Step()
					o.Step()
					times[j] = append(times[j], (threadCPU()-c0).Seconds()*1e3/3)
				}
			}
			r := make([]float64, len(times[0]))
			for i := range r {
				r[i] = 100 * (times[1][i]/times[0][i] - 1)
			}
			b.ReportMetric(median(times[0]), "cpu-ms-plain")
			b.ReportMetric(median(times[1]), "cpu-ms-gc")
			b.ReportMetric(median(r), "%gc")
			b.ReportMetric(0, "ns/op")
		})
	}
}
