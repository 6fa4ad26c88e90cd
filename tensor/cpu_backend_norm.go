package tensor

import "github.com/gcdet/gcdet/tensor/cpu"

// CPU implementations of NormKernels (see backend_norm.go); the kernels are
// in tensor/cpu/norm_*.go.

// fo is f for optional storages: nil stays nil.
func fo(s Storage) []float32 {
	if s == nil {
		return nil
	}
	return f(s)
}

func (cpuBackend) BatchNormStats(x Storage, n, c, hw int, eps, momentum float32, mean, invstd, runMean, runVar Storage) {
	cpu.BatchNormStats(f(x), n, c, hw, eps, momentum, f(mean), f(invstd), fo(runMean), fo(runVar))
}

func (cpuBackend) InvStd(invstd, v Storage, eps float32) { cpu.InvStd(f(invstd), f(v), eps) }

func (cpuBackend) BatchNormApply(y, x Storage, n, c, hw int, mean, invstd, weight, bias Storage) {
	cpu.BatchNormApply(f(y), f(x), n, c, hw, f(mean), f(invstd), fo(weight), fo(bias))
}

func (cpuBackend) BatchNormBackward(dx, dweight, dbias, dy, x Storage, n, c, hw int, mean, invstd, weight Storage, batchStats bool) {
	cpu.BatchNormBackward(fo(dx), fo(dweight), fo(dbias), f(dy), f(x), n, c, hw, f(mean), f(invstd), fo(weight), batchStats)
}

func (cpuBackend) GroupNormForward(y, x Storage, n, c, hw, groups int, eps float32, weight, bias, mean, invstd Storage) {
	cpu.GroupNormForward(f(y), f(x), n, c, hw, groups, eps, fo(weight), fo(bias), f(mean), f(invstd))
}

func (cpuBackend) GroupNormBackward(dx, dweight, dbias, dy, x Storage, n, c, hw, groups int, mean, invstd, weight Storage) {
	cpu.GroupNormBackward(fo(dx), fo(dweight), fo(dbias), f(dy), f(x), n, c, hw, groups, f(mean), f(invstd), fo(weight))
}
