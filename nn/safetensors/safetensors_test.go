package safetensors

import (
	"bytes"
	"errors"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestReadTorchFixture reads a file written from torch tensors by
// testdata/gen_dtypes.py and checks every dtype's decoded values.
func TestReadTorchFixture(t *testing.T) {
	f, err := Open("testdata/dtypes.safetensors")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if f.Metadata["format"] != "pt" {
		t.Errorf("metadata %v", f.Metadata)
	}
	for _, key := range []string{"f32", "f64", "f16", "bf16"} {
		info, v, err := f.Float32s(key)
		if err != nil {
			t.Fatal(err)
		}
		if len(info.Shape) != 2 || info.Shape[0] != 2 || info.Shape[1] != 3 {
			t.Errorf("%s shape %v", key, info.Shape)
		}
		for i, x := range v {
			if want := float32(i-3) * 0.5; x != want {
				t.Errorf("%s[%d] = %g, want %g", key, i, x, want)
			}
		}
	}
	for key, base := range map[string]int64{"i64": -3, "i32": -3, "i16": -3, "i8": -3, "u8": 0} {
		_, v, err := f.Int64s(key)
		if err != nil {
			t.Fatal(err)
		}
		for i, x := range v {
			if x != int64(i)+base {
				t.Errorf("%s[%d] = %d", key, i, x)
			}
		}
	}
	if _, v, err := f.Int64s("bool"); err != nil || v[1] != 1 || v[2] != 0 {
		t.Errorf("bool: %v %v", v, err)
	}
	if info, v, err := f.Int64s("scalar"); err != nil || len(info.Shape) != 0 || len(v) != 1 || v[0] != 7 {
		t.Errorf("scalar: %v %v %v", info, v, err)
	}
	if info, v, err := f.Float32s("empty"); err != nil || len(v) != 0 || info.Shape[0] != 0 {
		t.Errorf("empty: %v %v %v", info, v, err)
	}
	if _, _, err := f.Float32s("i64"); err == nil || !strings.Contains(err.Error(), `"i64"`) {
		t.Errorf("reading ints as floats: %v", err)
	}
	if _, _, err := f.Raw("nope"); err == nil || !strings.Contains(err.Error(), "dtypes.safetensors") {
		t.Errorf("missing key: %v", err)
	}
}

func TestRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "m.safetensors")
	in := []Tensor{
		FromFloat32("a.weight", []int{2, 3}, []float32{1, -2, 3.5, float32(math.Inf(1)), 0, -0.25}),
		FromInt64("a.num_batches_tracked", nil, []int64{42}),
		FromFloat32("z", []int{0}, nil),
		FromFloat32("b", []int{1}, []float32{7}),
	}
	if err := WriteFile(path, in, map[string]string{"step": "3"}); err != nil {
		t.Fatal(err)
	}
	// Atomic write leaves no temporary files behind.
	if ents, _ := os.ReadDir(filepath.Dir(path)); len(ents) != 1 {
		t.Errorf("folder holds %d entries", len(ents))
	}
	raw, _ := os.ReadFile(path)
	if hl := u64(raw); (8+hl)%8 != 0 {
		t.Errorf("data section not aligned: header %d", hl)
	}
	f, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if f.Metadata["step"] != "3" || len(f.Names) != 4 {
		t.Errorf("metadata %v names %v", f.Metadata, f.Names)
	}
	for _, want := range in {
		info, b, err := f.Raw(want.Name)
		if err != nil {
			t.Fatal(err)
		}
		if info.DType != want.DType || !bytes.Equal(b, want.Data) || Numel(info.Shape) != Numel(want.Shape) || len(info.Shape) != len(want.Shape) {
			t.Errorf("%s: got %v %v", want.Name, info, b)
		}
	}
}

func TestWriteErrors(t *testing.T) {
	dir := t.TempDir()
	for name, ts := range map[string][]Tensor{
		"dup":   {FromFloat32("a", []int{1}, []float32{1}), FromFloat32("a", []int{1}, []float32{1})},
		"meta":  {FromFloat32("__metadata__", []int{1}, []float32{1})},
		"bytes": {{Name: "a", DType: F32, Shape: []int{2}, Data: make([]byte, 4)}},
		"dtype": {{Name: "a", DType: "Q8", Shape: []int{1}, Data: make([]byte, 1)}},
	} {
		path := filepath.Join(dir, name+".safetensors")
		if err := WriteFile(path, ts, nil); err == nil {
			t.Errorf("%s: no error", name)
		}
		if _, err := os.Stat(path); err == nil {
			t.Errorf("%s: file written despite the error", name)
		}
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 0 {
		t.Errorf("temporary files left: %v", ents)
	}
}

func TestWriteAtomicKeepsOldFileOnError(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "ckpt.bin")
	if err := WriteAtomic(path, func(w io.Writer) error { _, err := io.WriteString(w, "old"); return err }); err != nil {
		t.Fatal(err)
	}
	boom := errors.New("disk full")
	err := WriteAtomic(path, func(w io.Writer) error {
		io.WriteString(w, "partial new contents")
		return boom
	})
	if !errors.Is(err, boom) || !strings.Contains(err.Error(), path) {
		t.Errorf("error %v, want one wrapping %v and naming %s", err, boom, path)
	}
	if b, _ := os.ReadFile(path); string(b) != "old" {
		t.Errorf("file holds %q after a failed write, want the old contents", b)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Errorf("folder holds %d entries, want the file alone", len(ents))
	}
}

// image builds a file image from a header string and data length.
func image(header string, data int) []byte {
	b := make([]byte, 8+len(header)+data)
	putU64(b, uint64(len(header)))
	copy(b[8:], header)
	return b
}

func TestBadHeaders(t *testing.T) {
	for name, c := range map[string]struct {
		header string
		data   int
		want   string
	}{
		"not object":   {`[1,2]`, 0, "not a JSON object"},
		"null":         {`null`, 0, "not a JSON object"},
		"bad json":     {`{"a":`, 0, "header JSON"},
		"no dtype":     {`{"a":{"shape":[1],"data_offsets":[0,4]}}`, 4, "needs dtype"},
		"dtype":        {`{"a":{"dtype":"F8","shape":[1],"data_offsets":[0,1]}}`, 1, "unknown dtype"},
		"neg shape":    {`{"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}`, 4, "negative size"},
		"size":         {`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}}`, 4, "needs"},
		"huge shape":   {`{"a":{"dtype":"F32","shape":[4294967296,4294967296,4],"data_offsets":[0,4]}}`, 4, "needs more"},
		"offsets":      {`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,8]}}`, 4, "outside"},
		"gap":          {`{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}`, 8, "gap"},
		"overlap":      {`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}`, 4, "overlaps"},
		"short cover":  {`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}`, 8, "cover"},
		"metadata":     {`{"__metadata__":{"a":1}}`, 0, "__metadata__"},
		"float offset": {`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4.5]}}`, 4, "tensor \"a\""},
	} {
		_, err := NewReader(bytes.NewReader(image(c.header, c.data)), int64(8+len(c.header)+c.data), "x.safetensors")
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "x.safetensors") {
			t.Errorf("%s: error %v, want one containing %q and the file name", name, err, c.want)
		}
	}
	// Header length beyond the file.
	b := image(`{}`, 0)
	putU64(b, 1<<40)
	if _, err := NewReader(bytes.NewReader(b), int64(len(b)), "y"); err == nil {
		t.Error("oversized header length accepted")
	}
	if _, err := NewReader(bytes.NewReader(b[:5]), 5, "y"); err == nil {
		t.Error("5-byte file accepted")
	}
}

func TestHalfConversion(t *testing.T) {
	for h, want := range map[uint16]float32{
		0x3c00: 1, 0xc000: -2, 0x0001: 5.9604645e-08, 0x7bff: 65504, 0x8000: float32(math.Copysign(0, -1)),
		0x7c00: float32(math.Inf(1)), 0x3555: 0.33325195,
	} {
		if got := halfToFloat32(h); got != want || math.Signbit(float64(got)) != math.Signbit(float64(want)) {
			t.Errorf("half %#04x = %g, want %g", h, got, want)
		}
	}
	if !math.IsNaN(float64(halfToFloat32(0x7e00))) {
		t.Error("half NaN")
	}
}

// FuzzReader feeds arbitrary bytes to the header parser and tensor readers:
// any input must give either an error or tensors whose sizes agree with
// their headers, never a panic.
func FuzzReader(f *testing.F) {
	if b, err := os.ReadFile("testdata/dtypes.safetensors"); err == nil {
		f.Add(b)
	}
	var buf bytes.Buffer
	Encode(&buf, []Tensor{FromFloat32("w", []int{2}, []float32{1, 2}), FromInt64("n", nil, []int64{1})}, map[string]string{"k": "v"})
	f.Add(buf.Bytes())
	f.Add(image(`{"a":{"dtype":"BF16","shape":[0,3],"data_offsets":[0,0]}}`, 0))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := NewReader(bytes.NewReader(data), int64(len(data)), "fuzz")
		if err != nil {
			return
		}
		for _, name := range r.Names {
			info := r.Tensors[name]
			var n int
			if info.DType.IsFloat() {
				_, v, err := r.Float32s(name)
				if err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				n = len(v)
			} else {
				_, v, err := r.Int64s(name)
				if err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				n = len(v)
			}
			if n != Numel(info.Shape) {
				t.Fatalf("%s: %d values for shape %v", name, n, info.Shape)
			}
		}
	})
}
