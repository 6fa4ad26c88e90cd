package tensor

import (
	"fmt"
	"sort"
)

// Reductions. A sum over several axes runs the backend's ReduceSum once per
// run of adjacent axes, each over an [outer, n, inner] view.

// Sum adds x over the given axes (negative axes count from the end; nil or
// empty means all axes). With keepDim the reduced axes stay as size 1,
// otherwise they are removed (summing every axis gives a 0-d scalar).
func Sum(x *Tensor, axes []int, keepDim bool) *Tensor {
	keep, out, _ := reduceShapes("Sum", x, axes, keepDim)
	res := sumKeep(x, keep)
	res.shape = out
	xs := x.shape
	return record("Sum", res, func(g *Tensor) []*Tensor {
		return []*Tensor{expandTo(Reshape(g, keep...), xs)}
	}, x)
}

// Mean averages x over the given axes; see Sum for axes and keepDim. The
// mean over zero elements is NaN, as in PyTorch.
func Mean(x *Tensor, axes []int, keepDim bool) *Tensor {
	_, _, n := reduceShapes("Mean", x, axes, keepDim)
	return MulScalar(Sum(x, axes, keepDim), 1/float32(n))
}

// SumAll adds every element of x into a 0-d scalar.
func SumAll(x *Tensor) *Tensor { return Sum(x, nil, false) }

// MeanAll averages every element of x into a 0-d scalar.
func MeanAll(x *Tensor) *Tensor { return Mean(x, nil, false) }

// reduceShapes validates axes and returns the keepDim shape, the result
// shape and the number of elements summed into each result element.
func reduceShapes(op string, x *Tensor, axes []int, keepDim bool) (keep, out []int, count int) {
	nd := len(x.shape)
	red := make([]bool, nd)
	if len(axes) == 0 {
		for i := range red {
			red[i] = true
		}
	}
	for _, a := range axes {
		ax := x.axis(op, a)
		if red[ax] {
			panic(fmt.Sprintf("tensor.%s: axis %d repeated in %v for shape %v", op, a, axes, x.shape))
		}
		red[ax] = true
	}
	keep = cloneInts(x.shape)
	out = []int{}
	count = 1
	for i, r := range red {
		if r {
			count *= x.shape[i]
			keep[i] = 1
			if keepDim {
				out = append(out, 1)
			}
		} else {
			out = append(out, x.shape[i])
		}
	}
	return keep, out, count
}

// sumKeep sums x down to the keepDim shape keep (each axis either kept or
// reduced to 1) without recording, one ReduceSum per run of reduced axes.
func sumKeep(x *Tensor, keep []int) *Tensor {
	b := x.Backend()
	cur := x
	var runs [][2]int // [first, last] of each run of reduced axes
	for d := 0; d < len(keep); d++ {
		if keep[d] == x.shape[d] {
			continue
		}
		if n := len(runs); n > 0 && runs[n-1][1] == d-1 {
			runs[n-1][1] = d
		} else {
			runs = append(runs, [2]int{d, d})
		}
	}
	// Reduce the largest run first: later passes then read less.
	sort.SliceStable(runs, func(i, j int) bool {
		return Numel(x.shape[runs[i][0]:runs[i][1]+1]) > Numel(x.shape[runs[j][0]:runs[j][1]+1])
	})
	for _, r := range runs {
		shape := cloneInts(cur.shape)
		outer := Numel(shape[:r[0]])
		n := Numel(shape[r[0] : r[1]+1])
		inner := Numel(shape[r[1]+1:])
		for d := r[0]; d <= r[1]; d++ {
			shape[d] = 1
		}
		next := newOn(b, shape)
		b.ReduceSum(next.buf, cur.buf, outer, n, inner)
		cur = next
	}
	if cur == x {
		// Nothing reduced (every reduced axis already has size 1): copy so
		// the result never aliases x.
		cur = x.Clone()
	}
	return &Tensor{shape: cloneInts(keep), buf: cur.buf}
}
