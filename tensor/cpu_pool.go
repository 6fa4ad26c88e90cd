package tensor

import (
	"os"
	"strings"
	"sync"
)

// CPU storage recycling. The tape (autograd.go) proves some gradient
// buffers dead while Backward runs (it made them and no one else ever saw
// them); it hands those back here, and later allocations of the same length
// in the same Backward reuse them instead of growing the heap. The free
// lists are dropped when the last Backward in progress returns: buffers kept
// between steps would count as live heap and raise the collector's goal
// (measured: a process-wide sync.Pool raised the bottleneck's peak RSS by
// ~10%, this lowers it by ~10%). Buffers smaller than poolMinLen are left
// to the collector.
//
// Only dead buffers enter the pool: nothing a caller can still reach (leaf
// gradients, forward outputs, the seed) is ever released.
//
// Env GCDET_TENSOR_POOL=off turns recycling off (every allocation is new;
// for comparisons).

const poolMinLen = 1 << 12

var poolOff = strings.EqualFold(os.Getenv("GCDET_TENSOR_POOL"), "off")

// tapePool holds the buffers released by the Backward calls in progress;
// it is emptied when the last one returns, so nothing is kept between steps
// (pooled buffers would count as live heap and raise the collector's goal).
var tapePool struct {
	mu     sync.Mutex
	active int
	free   map[int][]cpuStorage
}

func beginRecycling() {
	tapePool.mu.Lock()
	tapePool.active++
	tapePool.mu.Unlock()
}

func endRecycling() {
	tapePool.mu.Lock()
	if tapePool.active--; tapePool.active == 0 {
		tapePool.free = nil
	}
	tapePool.mu.Unlock()
}

// cpuGet returns a recycled buffer of n elements (with stale values) or a
// new zeroed one.
func cpuGet(n int) (s cpuStorage, fresh bool) {
	if n >= poolMinLen && !poolOff {
		tapePool.mu.Lock()
		if l := tapePool.free[n]; len(l) > 0 {
			s = l[len(l)-1]
			tapePool.free[n] = l[:len(l)-1]
		}
		tapePool.mu.Unlock()
		if s != nil {
			return s, false
		}
	}
	return make(cpuStorage, n), true
}

// cpuPut recycles a dead buffer.
func cpuPut(s cpuStorage) {
	if len(s) < poolMinLen || poolOff {
		return
	}
	tapePool.mu.Lock()
	if tapePool.active > 0 {
		if tapePool.free == nil {
			tapePool.free = map[int][]cpuStorage{}
		}
		tapePool.free[len(s)] = append(tapePool.free[len(s)], s)
	}
	tapePool.mu.Unlock()
}

// uninitAllocator is implemented by backends that can hand out storage
// whose values are unspecified (for outputs a kernel overwrites entirely)
// and take back storage the tape proved dead.
type uninitAllocator interface {
	allocUninit(n int) Storage
	release(s Storage)
}

func (cpuBackend) allocUninit(n int) Storage {
	s, _ := cpuGet(n)
	return s
}

func (cpuBackend) release(s Storage) {
	if c, ok := s.(cpuStorage); ok {
		cpuPut(c)
	}
}

// newOut allocates an op output that the kernel overwrites entirely: its
// initial values are unspecified (recycled storage is not cleared).
func newOut(b Backend, shape []int) *Tensor {
	if a, ok := b.(uninitAllocator); ok {
		return &Tensor{shape: shape, buf: a.allocUninit(Numel(shape))}
	}
	return newOn(b, shape)
}

// releaseDead hands t's storage back for reuse; the caller guarantees that
// nothing else refers to it.
func releaseDead(t *Tensor) {
	if a, ok := t.buf.Backend().(uninitAllocator); ok {
		a.release(t.buf)
	}
}
