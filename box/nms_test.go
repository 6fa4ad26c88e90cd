package box

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// nmsReference is the textbook algorithm, written independently of NMS:
// visit in stable descending score order, keep a box unless an already kept
// box overlaps it by more than thr.
func nmsReference(b Boxes, scores []float32, thr float64) []int32 {
	order := ArgsortDescStable(scores)
	var keep []int32
	for _, i := range order {
		ok := true
		for _, k := range keep {
			if float64(IoU(b.Select([]int32{i}), b.Select([]int32{k}))[0]) > thr {
				ok = false
				break
			}
		}
		if ok {
			keep = append(keep, i)
		}
	}
	return keep
}

func TestNMSAgainstReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(10, 11))
	for trial := range 30 {
		n := 1 + rng.IntN(300)
		b := randBoxes(rng, n, 300, 4, 120)
		s := make([]float32, n)
		for i := range s {
			s[i] = float32(rng.IntN(20)) // many ties
		}
		for _, thr := range []float64{0, 0.3, 0.5, 0.7, 1} {
			got, want := NMS(b, s, thr), nmsReference(b, s, thr)
			if !slices.Equal(got, want) {
				t.Fatalf("trial %d, n=%d, thr %v: %s", trial, n, thr, firstDiff(got, want))
			}
		}
	}
}

func TestNMSTable(t *testing.T) {
	tests := []struct {
		name   string
		boxes  Boxes
		scores []float32
		thr    float64
		want   []int32
	}{
		{"empty", Boxes{}, nil, 0.5, []int32{}},
		{"one", Boxes{0, 0, 1, 1}, []float32{0.3}, 0.5, []int32{0}},
		{"duplicates keep lower index", Boxes{0, 0, 4, 4, 0, 0, 4, 4, 0, 0, 4, 4}, []float32{1, 2, 2}, 0.5, []int32{1}},
		{"disjoint kept in score order", Boxes{0, 0, 1, 1, 5, 5, 6, 6}, []float32{0.1, 0.9}, 0.5, []int32{1, 0}},
		{"iou equal to threshold is kept", Boxes{0, 0, 10, 10, 0, 0, 5, 5}, []float32{2, 1}, 0.25, []int32{0, 1}},
		// float32(50/150) is just above 1/3 in float64: suppressed, as in torchvision.
		{"float32 iou above float64 threshold", Boxes{0, 0, 10, 10, 5, 0, 15, 10}, []float32{2, 1}, 1.0 / 3, []int32{0}},
		{"negative threshold suppresses disjoint", Boxes{0, 0, 1, 1, 5, 5, 6, 6}, []float32{0.1, 0.9}, -0.1, []int32{1}},
	}
	for _, tc := range tests {
		if got := NMS(tc.boxes, tc.scores, tc.thr); !slices.Equal(got, tc.want) {
			t.Errorf("%s: NMS = %v, want %v", tc.name, got, tc.want)
		}
	}
}

// TestBatchedNMSStrategies checks that the per-class loop and the
// coordinate trick keep the same boxes, and that no box suppresses a box of
// another class.
func TestBatchedNMSStrategies(t *testing.T) {
	rng := rand.New(rand.NewPCG(12, 13))
	for trial := range 20 {
		n := 1 + rng.IntN(1500)
		b := randBoxes(rng, n, 400, 4, 150)
		s := make([]float32, n)
		cl := make([]int32, n)
		for i := range s {
			s[i] = rng.Float32()
			cl[i] = int32(rng.IntN(6))
		}
		a := BatchedNMSPerClass(b, s, cl, 0.5)
		c := BatchedNMSCoordinateTrick(b, s, cl, 0.5)
		if !slices.Equal(a, c) {
			t.Fatalf("trial %d n=%d: per-class and coordinate trick differ: %s", trial, n, firstDiff(a, c))
		}
		// Per class, the result restricted to that class is plain NMS.
		for k := range int32(6) {
			var idx []int32
			for i := range cl {
				if cl[i] == k {
					idx = append(idx, int32(i))
				}
			}
			sub := make([]float32, len(idx))
			for j, i := range idx {
				sub[j] = s[i]
			}
			want := NMS(b.Select(idx), sub, 0.5)
			for j := range want {
				want[j] = idx[want[j]]
			}
			var got []int32
			for _, i := range a {
				if cl[i] == k {
					got = append(got, i)
				}
			}
			if !slices.Equal(got, want) {
				t.Fatalf("trial %d class %d: %s", trial, k, firstDiff(got, want))
			}
		}
	}
}

// TestSuppressFromExact checks that q >= t agrees with float64(q) > thr,
// torchvision's comparison, for float32 IoUs q near and away from thr.
func TestSuppressFromExact(t *testing.T) {
	rng := rand.New(rand.NewPCG(14, 15))
	thrs := []float64{0, 0.3, 0.5, 0.7, 1.0 / 3, 0.9999999, 1, -0.5, 1e-40, -1e-45, math.MaxFloat32, math.Inf(1), math.NaN()}
	for range 20 {
		thrs = append(thrs, rng.Float64())
	}
	for _, thr := range thrs {
		ts, never := suppressFrom(thr)
		for range 20000 {
			var q float32
			switch rng.IntN(3) {
			case 0:
				q = rng.Float32() * 1.5
			case 1: // within a few ulps of thr
				q = float32(thr)
				for range rng.IntN(5) {
					q = math.Nextafter32(q, float32(rng.IntN(2)*2-1)*float32(math.Inf(1)))
				}
			case 2: // subnormal range
				q = float32(math.Ldexp(rng.Float64(), -140))
			}
			want := float64(q) > thr
			if got := !never && q >= ts; got != want {
				t.Fatalf("thr %v, q %v: q >= %v is %v, float64 comparison %v", thr, q, ts, got, want)
			}
		}
	}
}
