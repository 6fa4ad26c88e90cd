package tensor

// NormKernels is the normalization kernel group of Backend;
// cpu_backend_norm.go implements it for the CPU.
//
// Every kernel sees its input x as a contiguous [n, c, hw] array (hw is the
// product of the spatial sizes, 1 for [N, C] inputs). Per-channel vectors
// (weight, bias, mean, invstd, running statistics) have c elements; a nil
// weight means 1 and a nil bias means 0 (non-affine normalization).
// Statistics are accumulated in float64.
type NormKernels interface {
	// BatchNormStats computes, for each channel, the batch mean and
	// invstd = 1/sqrt(biasedVar + eps) over the n*hw values into mean and
	// invstd. When runMean and runVar are not nil it also updates them in
	// place: run = (1-momentum)*run + momentum*stat, with the unbiased
	// variance (n*hw/(n*hw-1) times the biased one) for runVar, as torch does.
	BatchNormStats(x Storage, n, c, hw int, eps, momentum float32, mean, invstd, runMean, runVar Storage)
	// InvStd sets invstd[i] = 1/sqrt(v[i] + eps) (eval-mode and frozen batch
	// norm, from the running variance).
	InvStd(invstd, v Storage, eps float32)
	// BatchNormApply computes y = x*scale[ch] + shift[ch] with
	// scale = weight*invstd and shift = bias - mean*scale.
	BatchNormApply(y, x Storage, n, c, hw int, mean, invstd, weight, bias Storage)
	// BatchNormBackward computes the gradients of BatchNormApply given the
	// output gradient dy. With batchStats the mean and invstd are functions
	// of x (training mode) and dx includes the terms through them; otherwise
	// they are constants (eval, frozen). Any of dx, dweight, dbias may be nil
	// to skip it; weight nil means 1. Without batchStats, dweight and dbias,
	// dx = dy*weight*invstd reads neither x nor mean (callers may pass any
	// storage of their sizes).
	BatchNormBackward(dx, dweight, dbias, dy, x Storage, n, c, hw int, mean, invstd, weight Storage, batchStats bool)

	// GroupNormForward normalizes each of the groups channel groups of each
	// sample (c/groups*hw values) by its own mean and biased variance, then
	// applies the per-channel affine: y = (x-mean)*invstd*weight[ch] +
	// bias[ch]. mean and invstd (n*groups values, sample-major) receive the
	// statistics for the backward pass.
	GroupNormForward(y, x Storage, n, c, hw, groups int, eps float32, weight, bias, mean, invstd Storage)
	// GroupNormBackward computes the gradients of GroupNormForward given dy
	// and the saved statistics; any of dx, dweight, dbias may be nil to skip
	// it.
	GroupNormBackward(dx, dweight, dbias, dy, x Storage, n, c, hw, groups int, mean, invstd, weight Storage)
}
