package tensor

import "github.com/gcdet/gcdet/tensor/cpu"

// CPU implementations of RoIKernels (see backend_roi.go).

func (cpuBackend) RoIAlign(g RoIAlignGeom, y, x, rois Storage) {
	cpu.RoIAlign(cpu.RoIAlignGeom(g), f(y), f(x), f(rois))
}

func (cpuBackend) RoIAlignBackward(g RoIAlignGeom, dx, dy, rois Storage) {
	cpu.RoIAlignBackward(cpu.RoIAlignGeom(g), f(dx), f(dy), f(rois))
}
