package tensor

import "github.com/gcdet/gcdet/tensor/cpu"

// CPU implementations of ConvKernels (see backend_conv.go).

func (cpuBackend) Conv2d(g ConvGeom, y, x, w, b Storage) {
	var bb []float32
	if b != nil {
		bb = f(b)
	}
	cpu.Conv2d(cpu.ConvGeom(g), f(y), f(x), f(w), bb)
}

func (cpuBackend) Conv2dBackwardData(g ConvGeom, dx, dy, w Storage) {
	cpu.Conv2dBackwardData(cpu.ConvGeom(g), f(dx), f(dy), f(w))
}

func (cpuBackend) Conv2dBackwardFilter(g ConvGeom, dw, x, dy Storage) {
	cpu.Conv2dBackwardFilter(cpu.ConvGeom(g), f(dw), f(x), f(dy))
}

func (cpuBackend) AddChannelBias(y, b Storage, n, c, hw int) {
	cpu.AddChannelBias(f(y), f(b), n, c, hw)
}

func (cpuBackend) ChannelSum(db, dy Storage, n, c, hw int) {
	cpu.ChannelSum(f(db), f(dy), n, c, hw)
}

func (cpuBackend) MaxPool2d(g PoolGeom, y, x Storage) {
	cpu.MaxPool2d(cpu.PoolGeom(g), f(y), f(x))
}

func (cpuBackend) MaxPool2dBackward(g PoolGeom, dx, x, dy Storage) {
	cpu.MaxPool2dBackward(cpu.PoolGeom(g), f(dx), f(x), f(dy))
}

func (cpuBackend) UpsampleNearest(y, x Storage, planes, h, w, oh, ow int) {
	cpu.UpsampleNearest(f(y), f(x), planes, h, w, oh, ow)
}

func (cpuBackend) UpsampleNearestBackward(dx, dy Storage, planes, h, w, oh, ow int) {
	cpu.UpsampleNearestBackward(f(dx), f(dy), planes, h, w, oh, ow)
}
