// Package pth reads PyTorch state dicts saved with torch.save (.pth / .pt
// files in the zip format of torch >= 1.6, which torchvision's weight
// files use): the parameter and buffer tensors by name, as float32 (F32,
// F64, F16 and BF16 storages) or int64 (integer storages such as
// num_batches_tracked).
//
// The pickle inside is decoded by github.com/nlpodyssey/gopickle, a
// maintained pickle reader. Because a pickle can claim any storage size,
// every storage's declared size is first checked against the size of its
// record in the zip (a pass of the pickle that builds no tensors), so a
// corrupt or hostile file gives an error instead of a huge allocation, and
// any panic inside the decoder is turned into an error naming the file.
// Only state dicts are accepted: a mapping from names to tensors (an
// OrderedDict, or a dict holding one under "state_dict" or "model").
package pth

import (
	"archive/zip"
	"bytes"
	"fmt"
	"io"
	"os"
	"path"
	"sort"
	"strings"

	"github.com/nlpodyssey/gopickle/pickle"
	"github.com/nlpodyssey/gopickle/pytorch"
	"github.com/nlpodyssey/gopickle/types"
)

// Tensor is one entry of a state dict, copied into a dense row-major
// array. Exactly one of Float and Int is set.
type Tensor struct {
	Shape []int
	Float []float32
	Int   []int64
}

// Numel is the number of elements.
func (t Tensor) Numel() int {
	n := 1
	for _, d := range t.Shape {
		n *= d
	}
	return n
}

// StateDict is a loaded state dict: tensors by name, and the names in file
// order.
type StateDict struct {
	Tensors map[string]Tensor
	Names   []string
}

// elemSize is the byte size of each storage class's element.
var elemSize = map[string]int{
	"FloatStorage": 4, "DoubleStorage": 8, "HalfStorage": 2, "BFloat16Storage": 2,
	"LongStorage": 8, "IntStorage": 4, "ShortStorage": 2, "CharStorage": 1, "ByteStorage": 1, "BoolStorage": 1,
}

// maxFileSize bounds what Load accepts (a ResNet-152 is 240 MB).
const maxFileSize = 4 << 30

// Load reads the state dict saved in path.
func Load(path string) (sd *StateDict, err error) {
	defer func() {
		if r := recover(); r != nil {
			sd, err = nil, fmt.Errorf("pth: %s: malformed file (%v)", path, r)
		}
	}()
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("pth: %w", err)
	}
	if st.Size() > maxFileSize {
		return nil, fmt.Errorf("pth: %s: %d bytes is more than the %d this reader accepts", path, st.Size(), int64(maxFileSize))
	}
	if err := precheck(path); err != nil {
		return nil, err
	}
	obj, err := pytorch.Load(path)
	if err != nil {
		return nil, fmt.Errorf("pth: %s: %v", path, err)
	}
	sd, err = stateDict(obj)
	if err != nil {
		return nil, fmt.Errorf("pth: %s: %v", path, err)
	}
	return sd, nil
}

// precheck opens the zip and decodes data.pkl without building storages,
// checking each storage's declared size against its zip record.
func precheck(file string) error {
	z, err := zip.OpenReader(file)
	if err != nil {
		if strings.Contains(err.Error(), "not a valid zip file") {
			return fmt.Errorf("pth: %s: not a zip archive; only the zip format of torch >= 1.6 is read (re-save the file with torch.save(torch.load(f), f2) on a recent PyTorch)", file)
		}
		return fmt.Errorf("pth: %s: %v", file, err)
	}
	defer z.Close()
	records := map[string]*zip.File{}
	var dataPkl *zip.File
	for _, f := range z.File {
		dir, name := path.Split(f.Name)
		if name == "constants.pkl" {
			return fmt.Errorf("pth: %s: a TorchScript archive, not a state dict", file)
		}
		if name == "data.pkl" {
			dataPkl = f
		}
		if strings.HasSuffix(strings.TrimSuffix(dir, "/"), "data") {
			records[name] = f
		}
	}
	if dataPkl == nil {
		return fmt.Errorf("pth: %s: no data.pkl in the archive", file)
	}
	if dataPkl.UncompressedSize64 > 64<<20 {
		return fmt.Errorf("pth: %s: data.pkl is %d bytes, too large for a state dict", file, dataPkl.UncompressedSize64)
	}
	r, err := dataPkl.Open()
	if err != nil {
		return fmt.Errorf("pth: %s: %v", file, err)
	}
	pkl, err := io.ReadAll(io.LimitReader(r, 64<<20))
	r.Close()
	if err != nil {
		return fmt.Errorf("pth: %s: data.pkl: %v", file, err)
	}
	if err := scanOpcodes(pkl); err != nil {
		return fmt.Errorf("pth: %s: data.pkl: %v", file, err)
	}
	u := pickle.NewUnpickler(bytes.NewReader(pkl))
	u.FindClass = func(module, name string) (interface{}, error) {
		if module == "collections" && name == "OrderedDict" {
			return &types.OrderedDictClass{}, nil
		}
		return &probeClass{module: module, name: name}, nil
	}
	u.PersistentLoad = func(id interface{}) (interface{}, error) {
		t, ok := id.(*types.Tuple)
		if !ok || t.Len() < 5 {
			return nil, fmt.Errorf("persistent id %v is not a storage tuple", id)
		}
		cls, ok1 := t.Get(1).(*probeClass)
		key, ok2 := t.Get(2).(string)
		size, ok3 := t.Get(4).(int)
		if !ok1 || !ok2 || !ok3 {
			return nil, fmt.Errorf("persistent id %v is not a storage tuple", id)
		}
		es, known := elemSize[cls.name]
		if !known || cls.module != "torch" {
			return nil, fmt.Errorf("storage %q has unsupported type %s.%s", key, cls.module, cls.name)
		}
		rec, ok := records[key]
		if !ok {
			return nil, fmt.Errorf("storage %q has no data record", key)
		}
		if size < 0 || uint64(size)*uint64(es) > rec.UncompressedSize64 {
			return nil, fmt.Errorf("storage %q claims %d elements of %d bytes, its record holds %d bytes", key, size, es, rec.UncompressedSize64)
		}
		return &probeObject{}, nil
	}
	if _, err := u.Load(); err != nil {
		return fmt.Errorf("pth: %s: %v", file, err)
	}
	return nil
}

// probeClass stands for every class during the size check: calling it
// builds nothing.
type probeClass struct{ module, name string }

func (c *probeClass) Call(args ...interface{}) (interface{}, error) { return &probeObject{}, nil }

// probeObject accepts any state.
type probeObject struct{}

func (*probeObject) PySetState(interface{}) error           { return nil }
func (*probeObject) PyDictSet(key, value interface{}) error { return nil }

// stateDict finds the name -> tensor mapping in a loaded object.
func stateDict(obj interface{}) (*StateDict, error) {
	var keys []interface{}
	var get func(k interface{}) interface{}
	switch m := obj.(type) {
	case *types.OrderedDict:
		for e := m.List.Front(); e != nil; e = e.Next() {
			entry, ok := e.Value.(*types.OrderedDictEntry)
			if !ok {
				return nil, fmt.Errorf("malformed OrderedDict")
			}
			keys = append(keys, entry.Key)
		}
		get = func(k interface{}) interface{} { v, _ := m.Get(k); return v }
	case *types.Dict:
		for _, wrap := range []string{"state_dict", "model"} {
			if inner, ok := m.Get(wrap); ok {
				return stateDict(inner)
			}
		}
		for _, e := range *m {
			keys = append(keys, e.Key)
		}
		get = func(k interface{}) interface{} { v, _ := m.Get(k); return v }
	default:
		return nil, fmt.Errorf("top-level object is %T, not a state dict", obj)
	}
	sd := &StateDict{Tensors: map[string]Tensor{}}
	for _, k := range keys {
		name, ok := k.(string)
		if !ok {
			return nil, fmt.Errorf("state dict key %v is not a string", k)
		}
		t, ok := get(k).(*pytorch.Tensor)
		if !ok {
			return nil, fmt.Errorf("state dict entry %q is %T, not a tensor", name, get(k))
		}
		d, err := dense(t)
		if err != nil {
			return nil, fmt.Errorf("tensor %q: %v", name, err)
		}
		if _, dup := sd.Tensors[name]; dup {
			return nil, fmt.Errorf("state dict key %q appears twice", name)
		}
		sd.Tensors[name] = d
		sd.Names = append(sd.Names, name)
	}
	if len(sd.Names) == 0 {
		return nil, fmt.Errorf("the state dict is empty")
	}
	return sd, nil
}

// dense copies a strided tensor view into a row-major array.
func dense(t *pytorch.Tensor) (Tensor, error) {
	if len(t.Size) != len(t.Stride) {
		return Tensor{}, fmt.Errorf("%d sizes and %d strides", len(t.Size), len(t.Stride))
	}
	var length int
	var at func(i int) (float32, int64)
	isFloat := true
	switch s := t.Source.(type) {
	case *pytorch.FloatStorage:
		length, at = len(s.Data), func(i int) (float32, int64) { return s.Data[i], 0 }
	case *pytorch.HalfStorage:
		length, at = len(s.Data), func(i int) (float32, int64) { return s.Data[i], 0 }
	case *pytorch.BFloat16Storage:
		length, at = len(s.Data), func(i int) (float32, int64) { return s.Data[i], 0 }
	case *pytorch.DoubleStorage:
		length, at = len(s.Data), func(i int) (float32, int64) { return float32(s.Data[i]), 0 }
	case *pytorch.LongStorage:
		isFloat = false
		length, at = len(s.Data), func(i int) (float32, int64) { return 0, s.Data[i] }
	case *pytorch.IntStorage:
		isFloat = false
		length, at = len(s.Data), func(i int) (float32, int64) { return 0, int64(s.Data[i]) }
	default:
		return Tensor{}, fmt.Errorf("unsupported storage %T", t.Source)
	}
	n := 1
	for _, d := range t.Size {
		if d < 0 || (d > 0 && n > length/d) {
			return Tensor{}, fmt.Errorf("size %v does not fit its storage of %d elements", t.Size, length)
		}
		n *= d
	}
	// Bounds: the largest offset the view touches must lie in the storage.
	maxOff := t.StorageOffset
	for i, d := range t.Size {
		if t.Stride[i] < 0 {
			return Tensor{}, fmt.Errorf("negative stride %v", t.Stride)
		}
		if d > 0 {
			maxOff += (d - 1) * t.Stride[i]
		}
	}
	if t.StorageOffset < 0 || (n > 0 && maxOff >= length) {
		return Tensor{}, fmt.Errorf("view (offset %d, size %v, stride %v) exceeds its storage of %d elements", t.StorageOffset, t.Size, t.Stride, length)
	}
	out := Tensor{Shape: append([]int{}, t.Size...)}
	if isFloat {
		out.Float = make([]float32, n)
	} else {
		out.Int = make([]int64, n)
	}
	idx := make([]int, len(t.Size))
	for k := 0; k < n; k++ {
		off := t.StorageOffset
		for i, v := range idx {
			off += v * t.Stride[i]
		}
		f, iv := at(off)
		if isFloat {
			out.Float[k] = f
		} else {
			out.Int[k] = iv
		}
		for i := len(idx) - 1; i >= 0; i-- {
			idx[i]++
			if idx[i] < t.Size[i] {
				break
			}
			idx[i] = 0
		}
	}
	return out, nil
}

// SortedNames returns the names in lexical order.
func (sd *StateDict) SortedNames() []string {
	n := append([]string(nil), sd.Names...)
	sort.Strings(n)
	return n
}
