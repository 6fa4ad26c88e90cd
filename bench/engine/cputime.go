//go:build unix

package main

import (
	"syscall"
	"time"
)

// processCPU is the CPU time (user + system) of the whole process, all
// threads (OpenBLAS's included).
func processCPU() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
