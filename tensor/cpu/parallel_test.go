package cpu

import (
	"sync/atomic"
	"testing"
)

func TestParallelCoversOnce(t *testing.T) {
	old := Threads()
	defer SetThreads(old)
	for _, th := range []int{1, 2, 3, 8} {
		SetThreads(th)
		for _, c := range [][2]int{{0, 1}, {1, 1}, {7, 1}, {100, 7}, {1000, 1}, {1 << 16, 1 << 15}, {1<<16 + 3, 100}} {
			n, grain := c[0], c[1]
			hits := make([]atomic.Int32, n)
			var calls atomic.Int32
			Parallel(n, grain, func(lo, hi int) {
				calls.Add(1)
				if hi-lo < min(grain, n) && hi != n {
					t.Errorf("threads %d n %d grain %d: chunk [%d,%d) below the grain", th, n, grain, lo, hi)
				}
				for i := lo; i < hi; i++ {
					hits[i].Add(1)
				}
			})
			after := calls.Load()
			for i := range hits {
				if hits[i].Load() != 1 {
					t.Fatalf("threads %d n %d grain %d: index %d visited %d times", th, n, grain, i, hits[i].Load())
				}
			}
			if int(after) > th {
				t.Errorf("threads %d n %d: %d chunks", th, n, after)
			}
		}
	}
}
