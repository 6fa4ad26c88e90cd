package tensor

// ConvKernels is the conv kernel group of Backend: convolution, max pooling
// and nearest upsampling; cpu_backend_conv.go implements it for the CPU.
//
// Layouts: x [N, C, H, W], weight [K, C/Groups, KH, KW], y [N, K, OH, OW],
// all contiguous. Transposed convolution needs no kernels of its own: its
// forward pass is Conv2dBackwardData and its backward passes are Conv2d and
// Conv2dBackwardFilter with the roles of x and y exchanged (convtranspose.go).
type ConvKernels interface {
	// Conv2d computes y = conv(x, w) + b, overwriting y; b may be nil.
	Conv2d(g ConvGeom, y, x, w, b Storage)
	// Conv2dBackwardData computes the gradient dx of Conv2d with respect to
	// x given dy, overwriting dx.
	Conv2dBackwardData(g ConvGeom, dx, dy, w Storage)
	// Conv2dBackwardFilter computes the gradient dw of Conv2d with respect
	// to w given x and dy, overwriting dw.
	Conv2dBackwardFilter(g ConvGeom, dw, x, dy Storage)
	// AddChannelBias adds b[ch] to every value of channel ch of y [n, c, hw].
	AddChannelBias(y, b Storage, n, c, hw int)
	// ChannelSum sets db[ch] to the sum over n and hw of dy [n, c, hw] (the
	// gradient of a per-channel bias), overwriting db.
	ChannelSum(db, dy Storage, n, c, hw int)

	// MaxPool2d computes y [N, C, OH, OW] from x [N, C, H, W], overwriting y.
	// Padding is -inf; NaN propagates.
	MaxPool2d(g PoolGeom, y, x Storage)
	// MaxPool2dBackward routes each dy value to the maximum of its window
	// (recomputed from x), overwriting dx: the first maximum in row-major
	// window order, or the last NaN when the window has NaNs (PyTorch's
	// argmax).
	MaxPool2dBackward(g PoolGeom, dx, x, dy Storage)

	// UpsampleNearest resizes x [planes, h, w] to y [planes, oh, ow] with
	// PyTorch's nearest rule (src = floor(dst * in/out)), overwriting y.
	UpsampleNearest(y, x Storage, planes, h, w, oh, ow int)
	// UpsampleNearestBackward sums dy into dx [planes, h, w], overwriting dx.
	UpsampleNearestBackward(dx, dy Storage, planes, h, w, oh, ow int)
}

// ConvGeom is the geometry of a 2-D convolution as kernels see it: input
// [N, C, H, W], weight [K, C/Groups, KH, KW], output [N, K, OH, OW], with
// OH = (H + 2*PadH - DilH*(KH-1) - 1)/StrideH + 1 and likewise OW. Every
// field is explicit (strides and dilations >= 1, Groups >= 1).
type ConvGeom struct {
	N, C, H, W       int
	K, KH, KW        int
	OH, OW           int
	StrideH, StrideW int
	PadH, PadW       int
	DilH, DilW       int
	Groups           int
}

// PoolGeom is the geometry of a 2-D max pooling: x [N, C, H, W] to y
// [N, C, OH, OW] with OH = (H + 2*PadH - KH)/StrideH + 1 and likewise OW.
type PoolGeom struct {
	N, C, H, W       int
	KH, KW           int
	StrideH, StrideW int
	PadH, PadW       int
	OH, OW           int
}
