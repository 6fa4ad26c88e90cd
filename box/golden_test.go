package box

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
)

// loadJSON reads testdata/name (written by testdata/gen_box.py) into v.
func loadJSON(t *testing.T, name string, v any) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatalf("fixture: %v (regenerate with /usr/bin/python3 box/testdata/gen_box.py)", err)
	}
	if err := json.Unmarshal(data, v); err != nil {
		t.Fatalf("fixture %s: %v", name, err)
	}
}

// f32s converts fixture floats (float32 values widened to float64) back to
// float32 exactly, putting NaN at the listed positions.
func f32s(v []float64, nanAt []int) []float32 {
	out := make([]float32, len(v))
	for i, x := range v {
		out[i] = float32(x)
	}
	for _, i := range nanAt {
		out[i] = float32(math.NaN())
	}
	return out
}

// firstDiff describes where two index lists part, for failure messages.
func firstDiff(got, want []int32) string {
	n := min(len(got), len(want))
	for i := 0; i < n; i++ {
		if got[i] != want[i] {
			lo, hi := max(0, i-3), min(n, i+4)
			return "first difference at " + itoa(i) + ": got ..." + fmtInts(got[lo:hi]) + " want ..." + fmtInts(want[lo:hi])
		}
	}
	return "lengths differ: got " + itoa(len(got)) + ", want " + itoa(len(want))
}

// ulpDiff returns how many float32 steps apart a and b are (a large number
// for different signs or NaN against a number).
func ulpDiff(a, b float32) int64 {
	if a == b {
		return 0
	}
	if a != a || b != b {
		if a != a && b != b {
			return 0
		}
		return math.MaxInt64
	}
	ia, ib := int64(int32(math.Float32bits(a))), int64(int32(math.Float32bits(b)))
	if ia < 0 {
		ia = math.MinInt32 - ia
	}
	if ib < 0 {
		ib = math.MinInt32 - ib
	}
	d := ia - ib
	if d < 0 {
		d = -d
	}
	return d
}

func TestGoldenBoxes(t *testing.T) {
	var fx struct {
		A, B, IoU, Area, C, Clipped, XYWH []float64
		IoUNanAt                          []int              `json:"iou_nan_at"`
		ClipHW                            [2]float32         `json:"clip_hw"`
		RemoveSmall                       map[string][]int32 `json:"remove_small"`
	}
	loadJSON(t, "boxes.json", &fx)
	a, b := Boxes(f32s(fx.A, nil)), Boxes(f32s(fx.B, nil))
	wantIoU := f32s(fx.IoU, fx.IoUNanAt)
	for k, got := range IoU(a, b) {
		if ulpDiff(got, wantIoU[k]) != 0 {
			t.Errorf("IoU[%d,%d] = %v, torchvision %v", k/b.Len(), k%b.Len(), got, wantIoU[k])
		}
	}
	for i, got := range a.Area() {
		if got != float32(fx.Area[i]) {
			t.Errorf("Area[%d] = %v, torchvision %v", i, got, fx.Area[i])
		}
	}
	c := Boxes(f32s(fx.C, nil))
	c.Clip(fx.ClipHW[0], fx.ClipHW[1])
	for k, got := range c {
		if got != float32(fx.Clipped[k]) {
			t.Errorf("Clip value %d = %v, torchvision %v", k, got, fx.Clipped[k])
		}
	}
	for ms, want := range fx.RemoveSmall {
		m, _ := strconv.ParseFloat(ms, 32)
		if got := c.RemoveSmall(float32(m)); !slices.Equal(got, want) {
			t.Errorf("RemoveSmall(%v): %s", m, firstDiff(got, want))
		}
	}
	for k, got := range a.XYWH() {
		if got != float32(fx.XYWH[k]) {
			t.Errorf("XYWH value %d = %v, torchvision %v", k, got, fx.XYWH[k])
		}
	}
}

// TestGoldenCoder compares Encode and Decode with torchvision's BoxCoder.
// Arithmetic is bit-exact; log and exp may differ from torch's vectorized
// float32 versions by an ulp, which the tolerance allows for.
func TestGoldenCoder(t *testing.T) {
	var fx struct {
		Cases []struct {
			Weights                             [4]float64
			K                                   int
			Refs, Gts, Encoded, Deltas, Decoded []float64
		}
	}
	loadJSON(t, "coder.json", &fx)
	var worstEnc, worstDec int64
	for _, c := range fx.Cases {
		coder := NewCoder(c.Weights[0], c.Weights[1], c.Weights[2], c.Weights[3])
		refs, gts := Boxes(f32s(c.Refs, nil)), Boxes(f32s(c.Gts, nil))
		for k, got := range coder.Encode(gts, refs) {
			want := float32(c.Encoded[k])
			d := ulpDiff(got, want)
			worstEnc = max(worstEnc, d)
			if d > 4 {
				t.Errorf("weights %v: Encode value %d = %v, torchvision %v (%d ulps)", c.Weights, k, got, want, d)
			}
		}
		dec := coder.Decode(f32s(c.Deltas, nil), refs)
		if len(dec) != len(c.Decoded) {
			t.Fatalf("Decode: %d values, torchvision %d", len(dec), len(c.Decoded))
		}
		for k, got := range dec {
			want := float32(c.Decoded[k])
			// Coordinates near 0 lose relative precision in cx - w/2, so
			// allow an absolute error of a few ulps of the box's scale.
			d := ulpDiff(got, want)
			if math.Abs(float64(got-want)) <= 1e-4 {
				d = 0
			}
			worstDec = max(worstDec, d)
			if d > 4 {
				t.Errorf("weights %v K=%d: Decode value %d = %v, torchvision %v (%d ulps)", c.Weights, c.K, k, got, want, d)
			}
		}
	}
	t.Logf("worst difference from torchvision: encode %d ulps, decode %d ulps", worstEnc, worstDec)
}

func TestGoldenMatcher(t *testing.T) {
	var fx struct {
		Cases []struct {
			Matrix          string
			High, Low       float64
			AllowLowQuality bool `json:"allow_low_quality"`
			Matches         []int32
		}
		Matrices map[string]struct {
			NumGT   int `json:"num_gt"`
			NumPred int `json:"num_pred"`
			Quality []float64
		}
		IoUBoxes struct{ Gts, Anchors []float64 } `json:"iou_boxes"`
	}
	loadJSON(t, "matcher.json", &fx)
	for _, c := range fx.Cases {
		m, err := NewMatcher(c.High, c.Low, c.AllowLowQuality)
		if err != nil {
			t.Fatal(err)
		}
		q := fx.Matrices[c.Matrix]
		if got := m.Match(f32s(q.Quality, nil), q.NumGT, q.NumPred); !slices.Equal(got, c.Matches) {
			t.Errorf("%s (%v, %v, low quality %v): %s", c.Matrix, c.High, c.Low, c.AllowLowQuality, firstDiff(got, c.Matches))
		}
	}
	// The "iou" matrix is torchvision's box_iou of these boxes.
	iou := IoU(f32s(fx.IoUBoxes.Gts, nil), f32s(fx.IoUBoxes.Anchors, nil))
	want := fx.Matrices["iou"].Quality
	for k, v := range iou {
		if v != float32(want[k]) {
			t.Fatalf("IoU of the matcher's boxes, value %d = %v, torchvision %v", k, v, want[k])
		}
	}
}

func TestGoldenNMS(t *testing.T) {
	var fx struct {
		Cases []struct {
			Name          string
			Boxes, Scores []float64
			Classes       []int32
			Keep          map[string][]int32 // by threshold
		}
	}
	loadJSON(t, "nms.json", &fx)
	for _, c := range fx.Cases {
		b, s := Boxes(f32s(c.Boxes, nil)), f32s(c.Scores, nil)
		for thrs, want := range c.Keep {
			thr, err := strconv.ParseFloat(thrs, 64)
			if err != nil {
				t.Fatal(err)
			}
			var got []int32
			if c.Classes == nil {
				got = NMS(b, s, thr)
			} else {
				got = BatchedNMS(b, s, c.Classes, thr)
			}
			if !slices.Equal(got, want) {
				t.Errorf("%s, threshold %v: kept indices differ from torchvision: %s", c.Name, thr, firstDiff(got, want))
			}
		}
	}
}
