package train

import (
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/gcdet/gcdet/configs"
	"github.com/gcdet/gcdet/heads/rpn"
)

// TestPresetsBuildModels builds the detector of every COCO preset (80
// classes) and checks what each preset promises.
func TestPresetsBuildModels(t *testing.T) {
	if testing.Short() {
		t.Skip("builds full-size R50-FPN models")
	}
	for _, name := range []string{"faster_rcnn_R50_FPN_1x.yaml", "mask_rcnn_R50_FPN_1x.yaml", "gc_paper_R50_FPN_1x.yaml", "torchvision_R50_FPN.yaml"} {
		cfg, _, err := configs.Load(name)
		if err != nil {
			t.Fatal(err)
		}
		m, err := BuildModel(&cfg, 80, rand.New(rand.NewPCG(1, 1)))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if m.HasMasks() != (cfg.Model.Arch == "mask_rcnn") || m.NumClasses() != 80 {
			t.Errorf("%s: masks %v, classes %d", name, m.HasMasks(), m.NumClasses())
		}
		dc := m.Config()
		if dc.Backbone.Depth != 50 || dc.FPN.OutChannels != 256 || dc.Backbone.FreezeAt != 2 {
			t.Errorf("%s: backbone %+v", name, dc.Backbone)
		}
		tv := strings.HasPrefix(name, "torchvision")
		if tv != (dc.RPN.Normalization == rpn.NormalizeBySampled) || tv == dc.BoxPooler.Aligned {
			t.Errorf("%s: preset switches rpn %v pooler aligned %v", name, dc.RPN.Normalization, dc.BoxPooler.Aligned)
		}
	}
}

func TestSolverMapping(t *testing.T) {
	cfg, _, err := configs.Load("gc_paper_R50_FPN_1x.yaml", "solver.ims_per_batch=4")
	if err != nil {
		t.Fatal(err)
	}
	// lr 0.02 for 16 images, scaled linearly to 4.
	if o := OptimizerConfig(cfg.Solver); o.LR != 0.005 || o.ClipNorm != 35 {
		t.Errorf("optimizer %+v", o)
	}
	// 12 epochs of 1000 images at 4 per batch: 250 iterations per epoch,
	// steps at epochs 8 and 11, warmup 500 from 1/3.
	sc, err := ScheduleConfig(cfg.Solver, 1000)
	if err != nil {
		t.Fatal(err)
	}
	if sc.MaxIter != 3000 || len(sc.Milestones) != 2 || sc.Milestones[0] != 2000 || sc.Milestones[1] != 2750 || sc.Warmup.Iters != 500 {
		t.Errorf("schedule %+v", sc)
	}
	d, _, _ := configs.Load("synthetic_default.yaml", "model.rpn.nms_thresh=0.6", "model.roi_heads.pooler_aligned=false", "model.mask.conv_dim=16")
	dc, err := DetectorConfig(d.Model, 4)
	if err != nil {
		t.Fatal(err)
	}
	if dc.RPN.NMSThresh != 0.6 || dc.BoxPooler.Aligned || dc.Mask == nil || dc.Mask.ConvDim != 16 || dc.RPN.PreNMSTopN.Train != 600 || dc.RoI.Representation != 256 {
		t.Errorf("overrides not applied: %+v", dc)
	}
}
