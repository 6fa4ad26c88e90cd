package tensor

import "fmt"

// Batch normalization, trainable and frozen. Input x is [N, C, *] (NCHW for
// images; [N, C] also works), statistics are per channel over N and the
// spatial positions.

// normDims checks x and the per-channel vectors of a norm op and returns x
// viewed as [n, c, hw].
func normDims(op string, x *Tensor, vecs map[string]*Tensor) (n, c, hw int) {
	if x.Dims() < 2 {
		panic(fmt.Sprintf("tensor.%s: input of shape %v, want [N, C, ...]", op, x.shape))
	}
	n, c = x.shape[0], x.shape[1]
	hw = Numel(x.shape[2:])
	for name, v := range vecs {
		if v != nil && (v.Dims() != 1 || v.shape[0] != c) {
			panic(fmt.Sprintf("tensor.%s: %s of shape %v for input of shape %v, want [%d]", op, name, v.shape, x.shape, c))
		}
	}
	return n, c, hw
}

// storageOf is t's storage, or nil for a nil tensor (optional arguments).
func storageOf(t *Tensor) Storage {
	if t == nil {
		return nil
	}
	return t.buf
}

// BatchNorm2d normalizes each channel of x ([N, C, H, W], or any [N, C, ...])
// and applies weight and bias ([C] each; nil means no affine).
//
// In training mode it normalizes by the batch mean and biased variance and,
// when runningMean and runningVar ([C]) are given, updates them in place:
// running = (1-momentum)*running + momentum*batch, with the unbiased
// variance, exactly as torch.nn.BatchNorm2d does (the update happens even
// under NoGrad). Gradients flow to x, weight and bias through the batch
// statistics. In eval mode it normalizes by the running statistics, which
// must be given, and treats them as constants.
func BatchNorm2d(x, weight, bias, runningMean, runningVar *Tensor, training bool, momentum, eps float32) *Tensor {
	const op = "BatchNorm2d"
	n, c, hw := normDims(op, x, map[string]*Tensor{
		"weight": weight, "bias": bias, "runningMean": runningMean, "runningVar": runningVar})
	if (runningMean == nil) != (runningVar == nil) {
		panic("tensor.BatchNorm2d: runningMean and runningVar must both be given or both be nil")
	}
	b := x.Backend()
	mean, invstd := b.Alloc(c), b.Alloc(c)
	if training {
		if n*hw <= 1 {
			panic(fmt.Sprintf("tensor.BatchNorm2d: training needs more than one value per channel, input of shape %v", x.shape))
		}
		b.BatchNormStats(x.buf, n, c, hw, eps, momentum, mean, invstd, storageOf(runningMean), storageOf(runningVar))
	} else {
		if runningMean == nil {
			panic("tensor.BatchNorm2d: eval mode needs runningMean and runningVar")
		}
		// Copy: the running statistics may change before backward runs.
		b.Copy(mean, runningMean.buf)
		b.InvStd(invstd, runningVar.buf, eps)
	}
	out := newOut(b, cloneInts(x.shape))
	b.BatchNormApply(out.buf, x.buf, n, c, hw, mean, invstd, storageOf(weight), storageOf(bias))
	return record(op, out, func(g *Tensor) []*Tensor {
		dx, dw, db := normGrads(b, x, weight, bias)
		b.BatchNormBackward(storageOf(dx), storageOf(dw), storageOf(db), g.buf, x.buf, n, c, hw,
			mean, invstd, storageOf(weight), training)
		return []*Tensor{dx, dw, db}
	}, x, weight, bias)
}

// normGrads allocates gradient tensors for the inputs of a norm op that
// require them (nil for the others).
func normGrads(b Backend, x, weight, bias *Tensor) (dx, dw, db *Tensor) {
	if x.requiresGrad {
		dx = newOut(b, cloneInts(x.shape))
	}
	if weight != nil && weight.requiresGrad {
		dw = newOn(b, cloneInts(weight.shape))
	}
	if bias != nil && bias.requiresGrad {
		db = newOn(b, cloneInts(bias.shape))
	}
	return dx, dw, db
}

// FrozenBatchNorm2d is batch normalization with fixed statistics and affine
// parameters, as torchvision.ops.FrozenBatchNorm2d computes it:
// y = x*scale + shift per channel with scale = weight*rsqrt(runningVar+eps)
// and shift = bias - runningMean*scale. All four vectors are [C]; weight nil
// means 1 and bias nil means 0. Gradients flow to x only, never to the
// vectors (they are buffers, even if one requires gradients).
func FrozenBatchNorm2d(x, weight, bias, runningMean, runningVar *Tensor, eps float32) *Tensor {
	const op = "FrozenBatchNorm2d"
	n, c, hw := normDims(op, x, map[string]*Tensor{
		"weight": weight, "bias": bias, "runningMean": runningMean, "runningVar": runningVar})
	if runningMean == nil || runningVar == nil {
		panic("tensor.FrozenBatchNorm2d: runningMean and runningVar are required")
	}
	b := x.Backend()
	invstd := b.Alloc(c)
	b.InvStd(invstd, runningVar.buf, eps)
	out := newOut(b, cloneInts(x.shape))
	b.BatchNormApply(out.buf, x.buf, n, c, hw, runningMean.buf, invstd, storageOf(weight), storageOf(bias))
	// dx = dy*scale needs only scale = weight*invstd: keep a copy of the
	// weight so later changes to the buffers cannot alter the gradient.
	var w Storage
	if weight != nil {
		w = b.Alloc(c)
		b.Copy(w, weight.buf)
	}
	// The closure keeps neither x nor the output: with constant statistics
	// dx = dy*scale reads neither (dy stands in for x, which the kernel
	// does not read then, and invstd for the mean).
	shape := x.shape
	return record(op, out, func(g *Tensor) []*Tensor {
		dx := newOut(b, cloneInts(shape))
		b.BatchNormBackward(dx.buf, nil, nil, g.buf, g.buf, n, c, hw, invstd, invstd, w, false)
		return []*Tensor{dx}
	}, x)
}
