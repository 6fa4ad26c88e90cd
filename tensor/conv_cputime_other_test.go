//go:build !unix

package tensor_test

import "time"

// processCPU is unavailable here; benchmarks then report no per-CPU rate.
func processCPU() time.Duration { return 0 }
