package rpn

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"testing"
)

// TestGoldenAnchors compares with torchvision 0.14's AnchorGenerator and
// with detectron2's arithmetic (testdata/gen_anchors.py); equality is exact.
func TestGoldenAnchors(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", "anchors.json"))
	if err != nil {
		t.Fatalf("fixture: %v (regenerate with /usr/bin/python3 heads/rpn/testdata/gen_anchors.py)", err)
	}
	var fx struct {
		Cases []struct {
			Name           string
			Style          string
			Sizes, Ratios  [][]float64
			Strides        []int
			Offset         float64
			ImageHW        [2]int `json:"image_hw"`
			Grids          [][2]int
			Cells, Anchors [][]float64
		}
	}
	if err := json.Unmarshal(data, &fx); err != nil {
		t.Fatal(err)
	}
	for _, c := range fx.Cases {
		style := TorchvisionAnchors
		if c.Style == "detectron2" {
			style = Detectron2Anchors
		}
		g, err := NewAnchorGenerator(style, c.Sizes, c.Ratios, c.Strides, c.Offset)
		if err != nil {
			t.Fatalf("%s: %v", c.Name, err)
		}
		grids := make([]Grid, len(c.Grids))
		for l, gr := range c.Grids {
			grids[l] = Grid{H: gr[0], W: gr[1]}
		}
		got := g.Anchors(c.ImageHW[0], c.ImageHW[1], grids)
		for l := range c.Cells {
			compare(t, c.Name+" cell anchors level "+string(rune('0'+l)), g.CellAnchors(l), c.Cells[l])
			compare(t, c.Name+" anchors level "+string(rune('0'+l)), got[l], c.Anchors[l])
		}
	}
}

func compare(t *testing.T, what string, got []float32, want []float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s: %d values, want %d", what, len(got), len(want))
		return
	}
	for k := range got {
		if got[k] != float32(want[k]) {
			t.Errorf("%s: anchor %d coordinate %d = %v, want %v", what, k/4, k%4, got[k], want[k])
			return
		}
	}
}

func TestDefaultFPNAnchors(t *testing.T) {
	for _, style := range []AnchorStyle{TorchvisionAnchors, Detectron2Anchors} {
		g := DefaultFPNAnchors(style)
		if g.NumLevels() != 5 || g.Style() != style {
			t.Fatalf("%v: %d levels", style, g.NumLevels())
		}
		for l, a := range g.NumAnchorsPerLocation() {
			if a != 3 {
				t.Errorf("%v level %d: %d anchors per location, want 3", style, l, a)
			}
			// Ratio 1 anchor: a square of the level's size centered at 0.
			c := g.CellAnchors(l)
			s := float32(int(32) << l)
			if c[4] != -s/2 || c[5] != -s/2 || c[6] != s/2 || c[7] != s/2 {
				t.Errorf("%v level %d: square cell anchor %v, want side %v", style, l, c[4:8], s)
			}
			// Ratio 0.5 (wide): areas ~ size^2.
			w, h := float64(c[2]-c[0]), float64(c[3]-c[1])
			if math.Abs(w*h/float64(s*s)-1) > 0.05 || w < h {
				t.Errorf("%v level %d: ratio 0.5 anchor %v", style, l, c[0:4])
			}
		}
		a := g.Anchors(512, 512, []Grid{{128, 128}, {64, 64}, {32, 32}, {16, 16}, {8, 8}})
		for l := range a {
			n := 128 >> l
			if len(a[l]) != n*n*3*4 {
				t.Errorf("%v level %d: %d values, want %d", style, l, len(a[l]), n*n*3*4)
			}
			// Position (y=1, x=2), anchor 1 (square): centered at stride*(2, 1).
			stride := float32(int(4) << l)
			k := ((1*n+2)*3 + 1) * 4
			if cx, cy := (a[l][k]+a[l][k+2])/2, (a[l][k+1]+a[l][k+3])/2; n > 2 && (cx != 2*stride || cy != stride) {
				t.Errorf("%v level %d: anchor center (%v, %v), want (%v, %v)", style, l, cx, cy, 2*stride, stride)
			}
		}
	}
}

func TestNewAnchorGeneratorErrors(t *testing.T) {
	sizes, ratios := [][]float64{{32}, {64}}, [][]float64{{1}, {1}}
	tests := []struct {
		name          string
		style         AnchorStyle
		sizes, ratios [][]float64
		strides       []int
		offset        float64
	}{
		{"level count mismatch", TorchvisionAnchors, sizes, ratios[:1], nil, 0},
		{"no levels", TorchvisionAnchors, nil, nil, nil, 0},
		{"empty level", TorchvisionAnchors, [][]float64{{32}, {}}, ratios, nil, 0},
		{"negative size", TorchvisionAnchors, [][]float64{{32}, {-1}}, ratios, nil, 0},
		{"zero ratio", TorchvisionAnchors, sizes, [][]float64{{1}, {0}}, nil, 0},
		{"NaN ratio", TorchvisionAnchors, sizes, [][]float64{{1}, {math.NaN()}}, nil, 0},
		{"d2 missing strides", Detectron2Anchors, sizes, ratios, nil, 0},
		{"d2 zero stride", Detectron2Anchors, sizes, ratios, []int{4, 0}, 0},
		{"d2 offset 1", Detectron2Anchors, sizes, ratios, []int{4, 8}, 1},
		{"unknown style", AnchorStyle(7), sizes, ratios, []int{4, 8}, 0},
	}
	for _, tc := range tests {
		if _, err := NewAnchorGenerator(tc.style, tc.sizes, tc.ratios, tc.strides, tc.offset); err == nil {
			t.Errorf("%s: no error", tc.name)
		}
	}
}
