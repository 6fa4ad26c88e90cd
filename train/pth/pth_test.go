package pth

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const fixture = "testdata/tiny_resnet.pth"

type fixtureOut struct {
	FC      []float64 `json:"fc_weight_00_01_10"`
	NumKeys int       `json:"num_keys"`
}

func TestLoadTorchvisionStateDict(t *testing.T) {
	sd, err := Load(fixture)
	if err != nil {
		t.Fatal(err)
	}
	var want fixtureOut
	b, _ := os.ReadFile("testdata/tiny_resnet_out.json")
	if err := json.Unmarshal(b, &want); err != nil {
		t.Fatal(err)
	}
	if len(sd.Names) != want.NumKeys || sd.Names[0] != "conv1.weight" {
		t.Fatalf("%d keys (want %d), first %q", len(sd.Names), want.NumKeys, sd.Names[0])
	}
	c := sd.Tensors["conv1.weight"]
	if len(c.Shape) != 4 || c.Shape[0] != 4 || c.Shape[1] != 3 || c.Shape[2] != 7 || len(c.Float) != 4*3*49 {
		t.Errorf("conv1.weight %v", c.Shape)
	}
	nbt := sd.Tensors["bn1.num_batches_tracked"]
	if nbt.Int == nil || nbt.Int[0] != 7 || len(nbt.Shape) != 0 {
		t.Errorf("num_batches_tracked %+v", nbt)
	}
	// fc.weight was saved as a transposed view: the copy is row-major.
	fc := sd.Tensors["fc.weight"]
	if fc.Shape[0] != 10 || fc.Shape[1] != 32 {
		t.Fatalf("fc.weight %v", fc.Shape)
	}
	got := []float32{fc.Float[0], fc.Float[1], fc.Float[32]}
	for i := range got {
		if got[i] != float32(want.FC[i]) {
			t.Errorf("fc.weight element %d = %v, want %v", i, got[i], want.FC[i])
		}
	}
	h := sd.Tensors["extra.half"]
	if len(h.Float) != 3 || h.Float[0] != 0.5 || h.Float[1] != -1.25 || h.Float[2] != 3 {
		t.Errorf("float16 tensor %+v", h)
	}
}

// rewrite copies the fixture's zip, letting edit change each record.
func rewrite(t *testing.T, edit func(name string, data []byte) []byte) string {
	t.Helper()
	z, err := zip.OpenReader(fixture)
	if err != nil {
		t.Fatal(err)
	}
	defer z.Close()
	var buf bytes.Buffer
	w := zip.NewWriter(&buf)
	for _, f := range z.File {
		r, _ := f.Open()
		data, _ := io.ReadAll(r)
		r.Close()
		if data = edit(f.Name, data); data == nil {
			continue
		}
		fw, _ := w.CreateHeader(&zip.FileHeader{Name: f.Name, Method: zip.Store})
		fw.Write(data)
	}
	w.Close()
	p := filepath.Join(t.TempDir(), "edited.pth")
	os.WriteFile(p, buf.Bytes(), 0o644)
	return p
}

func TestLoadErrors(t *testing.T) {
	dir := t.TempDir()
	notZip := filepath.Join(dir, "legacy.pth")
	os.WriteFile(notZip, []byte("\x80\x02\x8a\x0alegacy"), 0o644)
	cases := map[string]struct {
		path string
		want string
	}{
		"missing":   {filepath.Join(dir, "absent.pth"), "no such file"},
		"not a zip": {notZip, "not a zip archive"},
		// A storage record cut short: its declared size no longer fits.
		"truncated storage": {rewrite(t, func(name string, d []byte) []byte {
			if strings.HasSuffix(name, "/data/0") {
				return d[:len(d)/2]
			}
			return d
		}), "claims"},
		"no data.pkl": {rewrite(t, func(name string, d []byte) []byte {
			if strings.HasSuffix(name, "data.pkl") {
				return nil
			}
			return d
		}), "no data.pkl"},
		"missing record": {rewrite(t, func(name string, d []byte) []byte {
			if strings.HasSuffix(name, "/data/3") {
				return nil
			}
			return d
		}), "no data record"},
		"garbled pickle": {rewrite(t, func(name string, d []byte) []byte {
			if strings.HasSuffix(name, "data.pkl") {
				return d[:len(d)/3]
			}
			return d
		}), "pth:"},
	}
	for name, c := range cases {
		_, err := Load(c.path)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one containing %q", name, err, c.want)
		}
	}
}

// FuzzLoad feeds mutated archives to Load: it must return (a state dict or
// an error) without panicking or allocating beyond the file's records.
func FuzzLoad(f *testing.F) {
	b, err := os.ReadFile(fixture)
	if err != nil {
		f.Fatal(err)
	}
	z, _ := zip.OpenReader(fixture)
	for _, zf := range z.File {
		if strings.HasSuffix(zf.Name, "data.pkl") {
			r, _ := zf.Open()
			pkl, _ := io.ReadAll(r)
			r.Close()
			f.Add(pkl)
		}
	}
	z.Close()
	f.Add([]byte{})
	_ = b
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, pkl []byte) {
		// Rebuild the fixture with the fuzzed data.pkl.
		z, err := zip.OpenReader(fixture)
		if err != nil {
			t.Fatal(err)
		}
		defer z.Close()
		var buf bytes.Buffer
		w := zip.NewWriter(&buf)
		for _, zf := range z.File {
			r, _ := zf.Open()
			data, _ := io.ReadAll(r)
			r.Close()
			if strings.HasSuffix(zf.Name, "data.pkl") {
				data = pkl
			}
			fw, _ := w.CreateHeader(&zip.FileHeader{Name: zf.Name, Method: zip.Store})
			fw.Write(data)
		}
		w.Close()
		p := filepath.Join(dir, "f.pth")
		os.WriteFile(p, buf.Bytes(), 0o644)
		sd, err := Load(p)
		if err == nil {
			for _, n := range sd.Names {
				tt := sd.Tensors[n]
				if len(tt.Float)+len(tt.Int) != tt.Numel() {
					t.Fatalf("tensor %q: %d values for shape %v", n, len(tt.Float)+len(tt.Int), tt.Shape)
				}
			}
		}
	})
}
