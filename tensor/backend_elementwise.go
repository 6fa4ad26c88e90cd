package tensor

// ElementwiseKernels is the elementwise kernel group of Backend; cpu_backend_elementwise.go
// implements it for the CPU.
//
// The set is kept small (in the spirit of tinygrad) so a new backend
// implements few kernels: every op of binary.go, reduce.go, shape.go,
// index.go, softmax.go and loss.go is one of these kernels or a composition
// of them. All storages are contiguous row-major buffers; where a kernel
// takes strides, they are element strides per axis of the iteration shape,
// and a stride of 0 repeats an element (broadcasting). Index arrays are
// host []int32 slices (small next to the data); a device backend uploads
// them.
type ElementwiseKernels interface {
	// Binary sets dst = a op b over shape; dst is contiguous with that
	// shape, a and b are read with aStrides and bStrides (len(shape) each).
	Binary(op BinaryOp, dst, a, b Storage, shape, aStrides, bStrides []int)
	// Affine sets dst[i] = src[i]*scale + shift (equal lengths).
	Affine(dst, src Storage, scale, shift float32)
	// ReduceSum sums src viewed as [outer, n, inner] over the middle axis
	// into dst [outer, inner].
	ReduceSum(dst, src Storage, outer, n, inner int)
	// StridedCopy copies the block of the given shape: the element at index
	// p goes from src[srcOff + p·srcStrides] to dst[dstOff + p·dstStrides].
	// Destination positions are distinct. Permute, slice, concat and
	// broadcast are all this kernel.
	StridedCopy(dst Storage, dstOff int, dstStrides []int, src Storage, srcOff int, srcStrides []int, shape []int)
	// Gather walks the index space shape (the index array's shape): at each
	// position p, with k = idx[p·idxStrides], it sets
	// dst[p·dstStrides] = src[p·srcStrides with p[axis] replaced by k].
	// Indices are valid (checked by the caller).
	Gather(dst Storage, dstStrides []int, src Storage, srcStrides []int, shape []int, axis int, idx []int32, idxStrides []int)
	// ScatterAdd is Gather's adjoint: at each position p of shape, with
	// k = idx[p·idxStrides], dst[p·dstStrides with p[axis] replaced by k] +=
	// src[p·srcStrides]. Repeated indices accumulate.
	ScatterAdd(dst Storage, dstStrides []int, src Storage, srcStrides []int, shape []int, axis int, idx []int32, idxStrides []int)
	// Softmax computes softmax, or log-softmax when log is set, of src
	// viewed as [outer, n, inner] along the middle axis (max-shifted).
	Softmax(dst, src Storage, outer, n, inner int, log bool)
	// SoftmaxBackward computes dx from the forward output y and the output
	// gradient dy (same view and flag as Softmax).
	SoftmaxBackward(dx, y, dy Storage, outer, n, inner int, log bool)
	// PointwiseLoss sets dst[i] = loss(x[i], t[i]) (equal lengths); param
	// is smooth L1's beta.
	PointwiseLoss(op LossOp, dst, x, t Storage, param float32)
	// PointwiseLossBackward sets dx[i] = dy[i] * d loss(x[i], t[i]) / d x[i].
	PointwiseLossBackward(op LossOp, dx, x, t, dy Storage, param float32)
}

// BinaryOp names an arithmetic function of two arguments.
type BinaryOp int

// The binary functions.
const (
	OpAdd BinaryOp = iota
	OpSub
	OpMul
	OpDiv
)

// LossOp names an elementwise loss of a prediction and a target.
type LossOp int

// The elementwise losses.
const (
	// LossBCEWithLogits: max(x,0) - x*t + log1p(exp(-|x|)).
	LossBCEWithLogits LossOp = iota
	// LossSmoothL1 with d = x - t: 0.5*d²/beta where |d| < beta, else
	// |d| - 0.5*beta (beta = 0 gives |d|).
	LossSmoothL1
)
