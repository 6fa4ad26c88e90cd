package tensor

import (
	"os"
	"strings"
	"sync"
)

// CPU storage recycling. The tape (autograd.go) proves some gradient
// buffers dead while Backward runs (it made them and no one else ever saw
// them); it hands those back here, and later allocations of the same length
// reuse them instead of growing the heap. Each length has a sync.Pool, so
// buffers nobody asks for again are dropped by the collector within two
// cycles (the pool never hoards). Buffers smaller than poolMinLen are left
// to the collector.
//
// Only dead buffers enter the pool: nothing a caller can still reach (leaf
// gradients, forward outputs, the seed) is ever released.
//
// Env GCDET_TENSOR_POOL=off turns recycling off (every allocation is new;
// for comparisons).

const poolMinLen = 1 << 12

var poolOff = strings.EqualFold(os.Getenv("GCDET_TENSOR_POOL"), "off")

var cpuPools sync.Map // int -> *sync.Pool of *cpuStorage

func cpuPoolFor(n int) *sync.Pool {
	if p, ok := cpuPools.Load(n); ok {
		return p.(*sync.Pool)
	}
	p, _ := cpuPools.LoadOrStore(n, &sync.Pool{})
	return p.(*sync.Pool)
}

// cpuGet returns a recycled buffer of n elements (with stale values) or a
// new zeroed one.
func cpuGet(n int) (s cpuStorage, fresh bool) {
	if n >= poolMinLen && !poolOff {
		if v := cpuPoolFor(n).Get(); v != nil {
			return *v.(*cpuStorage), false
		}
	}
	return make(cpuStorage, n), true
}

// cpuPut recycles a dead buffer.
func cpuPut(s cpuStorage) {
	if len(s) < poolMinLen || poolOff {
		return
	}
	cpuPoolFor(len(s)).Put(&s)
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
