package fpn_test

import (
	"fmt"
	"math/rand/v2"
	"os"
	"strings"
	"testing"

	"github.com/gcdet/gcdet/backbone"
	"github.com/gcdet/gcdet/fpn"
	"github.com/gcdet/gcdet/nn"
)

// Parameter and buffer names, shapes, order and trainability of the
// ResNet-50-FPN backbone equal torchvision's fasterrcnn_resnet50_fpn
// (testdata/gen_keys.py writes the key lists).

// detectorStub registers the backbone as the detector does.
type detectorStub struct{ nn.Container }

func shapeString(s []int) string {
	parts := make([]string, len(s))
	for i, d := range s {
		parts[i] = fmt.Sprint(d)
	}
	return strings.Join(parts, ",")
}

func keyLines(m nn.Module) []string {
	var lines []string
	for _, p := range m.Params() {
		lines = append(lines, fmt.Sprintf("param %s %s %v", p.Name, shapeString(p.Value.Shape()), p.Trainable))
	}
	for _, b := range m.Buffers() {
		switch {
		case b.Ignored:
		case b.Count != nil:
			lines = append(lines, fmt.Sprintf("buffer %s ", b.Name))
		default:
			lines = append(lines, fmt.Sprintf("buffer %s %s", b.Name, shapeString(b.Value.Shape())))
		}
	}
	return lines
}

func TestResNet50FPNKeysMatchTorchvision(t *testing.T) {
	for _, c := range []struct {
		file string
		cfg  backbone.Config
	}{
		{"testdata/r50fpn_keys_default.txt", backbone.Config{Depth: 50, Norm: backbone.BN}},
		{"testdata/r50fpn_keys_frozen.txt", backbone.ResNet50()},
	} {
		raw, err := os.ReadFile(c.file)
		if err != nil {
			t.Fatal(err)
		}
		want := strings.Split(strings.TrimSuffix(string(raw), "\n"), "\n")
		m, err := fpn.NewResNetFPN(rand.New(rand.NewPCG(1, 1)), c.cfg, fpn.Config{})
		if err != nil {
			t.Fatal(err)
		}
		d := &detectorStub{}
		d.Add("backbone", m)
		got := keyLines(d)
		if len(got) != len(want) {
			t.Errorf("%s: %d entries, want %d", c.file, len(got), len(want))
		}
		for i := range min(len(got), len(want)) {
			if got[i] != want[i] {
				t.Errorf("%s line %d: got %q, want %q", c.file, i+1, got[i], want[i])
				break
			}
		}
		// The parameter count of the whole backbone (the figure torchvision
		// users quote) follows from the lines, checked here explicitly.
		total, trainable := 0, 0
		for _, p := range d.Params() {
			total += p.Value.Numel()
			if p.Trainable {
				trainable += p.Value.Numel()
			}
		}
		wantTotal, wantTrainable := 0, 0
		for _, l := range want {
			f := strings.Fields(l)
			if f[0] != "param" {
				continue
			}
			n := 1
			for _, s := range strings.Split(f[2], ",") {
				var v int
				fmt.Sscan(s, &v)
				n *= v
			}
			wantTotal += n
			if f[3] == "true" {
				wantTrainable += n
			}
		}
		if total != wantTotal || trainable != wantTrainable {
			t.Errorf("%s: %d parameters (%d trainable), want %d (%d)", c.file, total, trainable, wantTotal, wantTrainable)
		}
		t.Logf("%s: %d entries, %d parameters, %d trainable", c.file, len(got), total, trainable)
		// Frozen parameters do not require gradients.
		for _, p := range d.Params() {
			if p.Value.RequiresGrad() != p.Trainable {
				t.Errorf("%s: RequiresGrad %v, Trainable %v", p.Name, p.Value.RequiresGrad(), p.Trainable)
			}
		}
	}
}
