package safetensors

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sort"
)

// MaxHeaderSize bounds the JSON header, as the reference implementation
// does (100 MB).
const MaxHeaderSize = 100 << 20

// Info describes one tensor of a file.
type Info struct {
	DType DType
	Shape []int
	// Begin and End are byte offsets within the data section.
	Begin, End int64
}

// Header is a validated safetensors header.
type Header struct {
	// Names lists the tensors in data order.
	Names    []string
	Tensors  map[string]Info
	Metadata map[string]string
}

// ParseHeader parses and validates the JSON header of a file whose data
// section has dataLen bytes: every entry needs a known dtype, a shape of
// non-negative sizes and [begin, end) offsets whose length matches the
// shape, and the tensors must tile the data section exactly.
func ParseHeader(js []byte, dataLen int64) (*Header, error) {
	trimmed := bytes.TrimLeft(js, " \t\r\n")
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return nil, fmt.Errorf("header is not a JSON object")
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(js, &raw); err != nil {
		return nil, fmt.Errorf("header JSON: %v", err)
	}
	h := &Header{Tensors: make(map[string]Info, len(raw))}
	for name, msg := range raw {
		if name == "__metadata__" {
			if err := json.Unmarshal(msg, &h.Metadata); err != nil {
				return nil, fmt.Errorf("__metadata__ must map strings to strings: %v", err)
			}
			continue
		}
		info, err := parseInfo(msg, dataLen)
		if err != nil {
			return nil, fmt.Errorf("tensor %q: %v", name, err)
		}
		h.Tensors[name] = info
		h.Names = append(h.Names, name)
	}
	sort.Slice(h.Names, func(i, j int) bool {
		a, b := h.Tensors[h.Names[i]], h.Tensors[h.Names[j]]
		if a.Begin != b.Begin {
			return a.Begin < b.Begin
		}
		if a.End != b.End {
			return a.End < b.End
		}
		return h.Names[i] < h.Names[j]
	})
	var pos int64
	for _, name := range h.Names {
		info := h.Tensors[name]
		if info.Begin != pos {
			if info.Begin < pos {
				return nil, fmt.Errorf("tensor %q: data [%d, %d) overlaps the previous tensor", name, info.Begin, info.End)
			}
			return nil, fmt.Errorf("tensor %q: gap in the data section before offset %d", name, info.Begin)
		}
		pos = info.End
	}
	if pos != dataLen {
		return nil, fmt.Errorf("tensors cover %d of the %d data bytes", pos, dataLen)
	}
	return h, nil
}

func parseInfo(msg json.RawMessage, dataLen int64) (Info, error) {
	var e struct {
		DType   *string  `json:"dtype"`
		Shape   *[]int64 `json:"shape"`
		Offsets *[]int64 `json:"data_offsets"`
	}
	if err := json.Unmarshal(msg, &e); err != nil {
		return Info{}, err
	}
	if e.DType == nil || e.Shape == nil || e.Offsets == nil {
		return Info{}, fmt.Errorf("entry needs dtype, shape and data_offsets")
	}
	d := DType(*e.DType)
	sz := int64(d.Size())
	if sz == 0 {
		return Info{}, fmt.Errorf("unknown dtype %q", *e.DType)
	}
	off := *e.Offsets
	if len(off) != 2 || off[0] < 0 || off[1] < off[0] || off[1] > dataLen {
		return Info{}, fmt.Errorf("data_offsets %v outside the %d-byte data section", off, dataLen)
	}
	// Element count, bounded by the bytes available (no overflow).
	maxElems := (off[1] - off[0]) / sz
	shape := make([]int, len(*e.Shape))
	zero := false
	for i, s := range *e.Shape {
		if s < 0 {
			return Info{}, fmt.Errorf("negative size in shape %v", *e.Shape)
		}
		shape[i] = int(s)
		zero = zero || s == 0
	}
	n := int64(0)
	if !zero {
		n = 1
		for _, s := range *e.Shape {
			if s > maxElems/n {
				return Info{}, fmt.Errorf("shape %v needs more than the %d bytes of data_offsets %v", *e.Shape, off[1]-off[0], off)
			}
			n *= s
		}
	}
	if n*sz != off[1]-off[0] {
		return Info{}, fmt.Errorf("shape %v of %s needs %d bytes, data_offsets %v hold %d", *e.Shape, d, n*sz, off, off[1]-off[0])
	}
	return Info{DType: d, Shape: shape, Begin: off[0], End: off[1]}, nil
}

// Reader reads tensors from a safetensors image through an io.ReaderAt.
type Reader struct {
	Header
	r         io.ReaderAt
	name      string
	dataStart int64
}

// NewReader validates the header of the size-byte safetensors image in r.
// name (usually the file path) prefixes error messages.
func NewReader(r io.ReaderAt, size int64, name string) (*Reader, error) {
	if size < 8 {
		return nil, fmt.Errorf("safetensors: %s: %d bytes, too short for a header", name, size)
	}
	var lb [8]byte
	if _, err := r.ReadAt(lb[:], 0); err != nil {
		return nil, fmt.Errorf("safetensors: %s: %v", name, err)
	}
	n := u64(lb[:])
	if n > MaxHeaderSize || n > uint64(size-8) {
		return nil, fmt.Errorf("safetensors: %s: header length %d exceeds the file (%d bytes) or the %d-byte limit", name, n, size, MaxHeaderSize)
	}
	js := make([]byte, n)
	if _, err := r.ReadAt(js, 8); err != nil {
		return nil, fmt.Errorf("safetensors: %s: reading header: %v", name, err)
	}
	h, err := ParseHeader(js, size-8-int64(n))
	if err != nil {
		return nil, fmt.Errorf("safetensors: %s: %v", name, err)
	}
	return &Reader{Header: *h, r: r, name: name, dataStart: 8 + int64(n)}, nil
}

// Raw returns the bytes of tensor key.
func (r *Reader) Raw(key string) (Info, []byte, error) {
	info, ok := r.Tensors[key]
	if !ok {
		return Info{}, nil, fmt.Errorf("safetensors: %s: no tensor %q", r.name, key)
	}
	b := make([]byte, info.End-info.Begin)
	if _, err := r.r.ReadAt(b, r.dataStart+info.Begin); err != nil && !(err == io.EOF && len(b) == 0) {
		return Info{}, nil, fmt.Errorf("safetensors: %s: tensor %q: %v", r.name, key, err)
	}
	return info, b, nil
}

// Float32s reads a float tensor (F32, F64, F16, BF16) as float32 values.
func (r *Reader) Float32s(key string) (Info, []float32, error) {
	info, b, err := r.Raw(key)
	if err != nil {
		return info, nil, err
	}
	v, err := Float32s(info.DType, b)
	if err != nil {
		return info, nil, fmt.Errorf("safetensors: %s: tensor %q: %v", r.name, key, err)
	}
	return info, v, nil
}

// Int64s reads an integer tensor as int64 values.
func (r *Reader) Int64s(key string) (Info, []int64, error) {
	info, b, err := r.Raw(key)
	if err != nil {
		return info, nil, err
	}
	v, err := Int64s(info.DType, b)
	if err != nil {
		return info, nil, fmt.Errorf("safetensors: %s: tensor %q: %v", r.name, key, err)
	}
	return info, v, nil
}

// File is a Reader over an open file.
type File struct {
	*Reader
	f *os.File
}

// Open opens and validates a safetensors file; tensors are read on demand.
func Open(path string) (*File, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("safetensors: %v", err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("safetensors: %v", err)
	}
	r, err := NewReader(f, st.Size(), path)
	if err != nil {
		f.Close()
		return nil, err
	}
	return &File{Reader: r, f: f}, nil
}

// Close closes the file.
func (f *File) Close() error { return f.f.Close() }
