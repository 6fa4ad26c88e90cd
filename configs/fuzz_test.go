package configs

import (
	"io/fs"
	"testing"
)

// FuzzParse: any bytes give a config or an error, never a panic, and a
// config that parses renders to YAML that parses to the same rendering.
func FuzzParse(f *testing.F) {
	for _, n := range PresetNames() {
		b, _ := fs.ReadFile(Presets, n)
		f.Add(b)
	}
	f.Add([]byte("_base_: [a, b]\nseed: 1\n"))
	f.Add([]byte("model: {rpn: {nms_thresh: .5}}\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := Parse(b, "fuzz.yaml")
		if err != nil {
			return
		}
		y, err := c.YAML()
		if err != nil {
			t.Fatal(err)
		}
		back, err := Parse(y, "rendered.yaml")
		if err != nil {
			t.Fatalf("rendered config does not parse: %v\n%s", err, y)
		}
		y2, _ := back.YAML()
		if string(y) != string(y2) {
			t.Fatalf("rendering not stable:\n%s\n%s", y, y2)
		}
	})
}
