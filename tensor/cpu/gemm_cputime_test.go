//go:build unix

package cpu

import (
	"syscall"
	"time"
)

// processCPU is the CPU time (user + system) of the whole process, OpenBLAS
// threads included: benchmarks divide work by it to get a throughput per
// busy core that a loaded machine distorts less than wall time.
func processCPU() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
