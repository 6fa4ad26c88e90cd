package roi_test

import (
	"encoding/json"
	"math"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/gcdet/gcdet/box"
	"github.com/gcdet/gcdet/heads/roi"
	"github.com/gcdet/gcdet/heads/rpn"
	"github.com/gcdet/gcdet/tensor"
)

// Multi-scale RoI pooling against torchvision's MultiScaleRoIAlign and
// detectron2's ROIPooler rule (testdata/gen_pooler.py writes the fixture).

type poolerFixTensor struct {
	Shape []int     `json:"shape"`
	Data  []float32 `json:"data"`
}

type poolerFix struct {
	Names      []string          `json:"names"`
	Features   []poolerFixTensor `json:"features"`
	ImageSizes [][2]int          `json:"image_sizes"`
	Boxes      []poolerFixTensor `json:"boxes"`
	Cases      []struct {
		Name   string                     `json:"name"`
		Levels []int32                    `json:"levels"`
		Y      poolerFixTensor            `json:"y"`
		DY     poolerFixTensor            `json:"dy"`
		DX     map[string]poolerFixTensor `json:"dx"`
	} `json:"cases"`
}

func poolerClose(t *testing.T, what string, got []float32, want []float32) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s: %d values, want %d", what, len(got), len(want))
		return
	}
	for i := range got {
		if d := math.Abs(float64(got[i] - want[i])); !(d <= 1e-5*(1+math.Abs(float64(want[i])))) {
			t.Errorf("%s[%d] = %g, want %g", what, i, got[i], want[i])
			return
		}
	}
}

func TestPoolerGolden(t *testing.T) {
	raw, err := os.ReadFile("testdata/pooler_golden.json")
	if err != nil {
		t.Fatal(err)
	}
	var fx poolerFix
	if err := json.Unmarshal(raw, &fx); err != nil {
		t.Fatal(err)
	}
	boxes := make([]box.Boxes, len(fx.Boxes))
	for i, b := range fx.Boxes {
		boxes[i] = box.Boxes(b.Data)
	}
	configs := map[string]roi.PoolerConfig{
		"torchvision":        roi.TorchvisionPooler(7),
		"torchvision_single": {FeatmapNames: []string{"2"}, OutputSize: 3, SamplingRatio: 2, CanonicalScale: 224, CanonicalLevel: 4},
		"detectron2":         roi.Detectron2Pooler(4),
	}
	if len(fx.Cases) != len(configs) {
		t.Fatalf("fixture has %d cases", len(fx.Cases))
	}
	for _, c := range fx.Cases {
		p, err := roi.NewMultiScaleRoIAlign(configs[c.Name])
		if err != nil {
			t.Fatal(err)
		}
		feats := make([]*tensor.Tensor, len(fx.Features))
		for i, f := range fx.Features {
			feats[i] = tensor.FromSlice(f.Data, f.Shape...).SetRequiresGrad(true)
		}
		if c.Name != "torchvision_single" {
			if lv := p.AssignLevels(boxes, 2, 5); !slices.Equal(lv, c.Levels) {
				t.Errorf("%s: levels %v, want %v", c.Name, lv, c.Levels)
			}
		}
		var sizes []rpn.ImageSize
		if c.Name != "detectron2" { // fixed strides need no image sizes
			for _, s := range fx.ImageSizes {
				sizes = append(sizes, rpn.ImageSize{H: s[0], W: s[1]})
			}
		}
		y := p.Pool(p.Select(feats, fx.Names), boxes, sizes)
		if !tensor.SameShape(y.Shape(), c.Y.Shape) {
			t.Fatalf("%s: shape %v, want %v", c.Name, y.Shape(), c.Y.Shape)
		}
		poolerClose(t, c.Name+" y", y.Data(), c.Y.Data)
		y.BackwardWith(tensor.FromSlice(c.DY.Data, c.DY.Shape...))
		for i, n := range fx.Names {
			want := c.DX[n]
			got := make([]float32, len(want.Data))
			if g := feats[i].Grad; g != nil {
				got = g.Data()
			}
			poolerClose(t, c.Name+" dx "+n, got, want.Data)
		}
	}
}

func TestPoolerEdgeCases(t *testing.T) {
	p, err := roi.NewMultiScaleRoIAlign(roi.TorchvisionPooler(2))
	if err != nil {
		t.Fatal(err)
	}
	feats := []*tensor.Tensor{
		tensor.Ones(2, 1, 16, 16), tensor.Ones(2, 1, 8, 8), tensor.Ones(2, 1, 4, 4), tensor.Ones(2, 1, 2, 2),
	}
	// No boxes at all (an image without proposals is legal).
	sizes := []rpn.ImageSize{{H: 64, W: 64}, {H: 64, W: 64}}
	y := p.Pool(feats, []box.Boxes{nil, {}}, sizes)
	if !tensor.SameShape(y.Shape(), []int{0, 1, 2, 2}) {
		t.Errorf("no boxes: shape %v", y.Shape())
	}
	// Boxes all on one level keep their order without a gather.
	y = p.Pool(feats, []box.Boxes{{0, 0, 8, 8}, {1, 1, 9, 9, 2, 2, 4, 4}}, sizes)
	if !tensor.SameShape(y.Shape(), []int{3, 1, 2, 2}) || slices.Max(y.Data()) != 1 {
		t.Errorf("one level: %v", y)
	}

	for _, c := range []struct {
		cfg  roi.PoolerConfig
		want string
	}{
		{roi.PoolerConfig{OutputSize: 7, CanonicalScale: 224}, "without feature maps"},
		{roi.PoolerConfig{FeatmapNames: []string{"0"}, CanonicalScale: 224}, "output size"},
		{roi.PoolerConfig{FeatmapNames: []string{"0", "0"}, OutputSize: 7, CanonicalScale: 224}, "twice"},
		{roi.PoolerConfig{FeatmapNames: []string{"0", "1"}, OutputSize: 7, CanonicalScale: 224, Strides: []int{4, 16}}, "doubling"},
		{roi.PoolerConfig{FeatmapNames: []string{"0"}, OutputSize: 7, CanonicalScale: 224, Strides: []int{4, 8}}, "strides"},
		{roi.PoolerConfig{FeatmapNames: []string{"0"}, OutputSize: 7}, "canonical scale"},
	} {
		if _, err := roi.NewMultiScaleRoIAlign(c.cfg); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: error %v, want one mentioning %q", c.cfg, err, c.want)
		}
	}
	func() {
		defer func() {
			if r := recover(); r == nil || !strings.Contains(r.(string), "lack") {
				t.Errorf("missing map: panic %v", r)
			}
		}()
		p.Select(feats[:3], []string{"0", "1", "2"})
	}()
}
