//go:build !linux

package optim

import "time"

// processCPU is not measured off Linux: the CPU-time metrics read 0.
func processCPU() time.Duration { return 0 }
