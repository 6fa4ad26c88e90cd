//go:build unix

package tensor_test

import (
	"syscall"
	"time"
)

// processCPU is the CPU time (user + system) of the whole process, OpenBLAS
// threads included. Benchmarks report work per CPU-second next to wall-time
// rates: on a machine shared with other jobs it varies less.
func processCPU() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
