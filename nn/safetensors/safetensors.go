// Package safetensors reads and writes the safetensors file format: an
// 8-byte little-endian header length N, N bytes of JSON naming each tensor's
// dtype, shape and [begin, end) byte offsets into the data section that
// follows, and the raw little-endian tensor bytes. An optional
// "__metadata__" entry maps strings to strings.
//
// It is gcdet's checkpoint format (package nn saves and loads state dicts
// with it) and the way torch weights come in: a file written by the Python
// safetensors package or by torch scripts loads here. The reader validates
// everything before trusting it (header size, JSON shape, dtypes, offsets
// within the file and covering the data exactly, element counts), so a
// damaged or hostile file yields an error, never a panic or a huge
// allocation. Writes are atomic: a temporary file in the destination's
// folder, fsync, rename.
package safetensors

import (
	"fmt"
	"math"
)

// DType is a safetensors element type name.
type DType string

// The element types this package knows. Float types convert to float32 on
// read, integer types to int64.
const (
	F64  DType = "F64"
	F32  DType = "F32"
	F16  DType = "F16"
	BF16 DType = "BF16"
	I64  DType = "I64"
	I32  DType = "I32"
	I16  DType = "I16"
	I8   DType = "I8"
	U8   DType = "U8"
	Bool DType = "BOOL"
)

// Size is the element size in bytes, 0 for an unknown dtype.
func (d DType) Size() int {
	switch d {
	case F64, I64:
		return 8
	case F32, I32:
		return 4
	case F16, BF16, I16:
		return 2
	case I8, U8, Bool:
		return 1
	}
	return 0
}

// IsFloat reports whether d is a floating-point type.
func (d DType) IsFloat() bool { return d == F64 || d == F32 || d == F16 || d == BF16 }

// IsInt reports whether d is an integer (or boolean) type.
func (d DType) IsInt() bool {
	return d == I64 || d == I32 || d == I16 || d == I8 || d == U8 || d == Bool
}

// Tensor is one named tensor: its dtype, shape and little-endian bytes.
type Tensor struct {
	Name  string
	DType DType
	Shape []int
	Data  []byte
}

// Numel is the number of elements of a shape.
func Numel(shape []int) int {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return n
}

// FromFloat32 makes an F32 tensor from values (len(v) must match shape).
func FromFloat32(name string, shape []int, v []float32) Tensor {
	if len(v) != Numel(shape) {
		panic(fmt.Sprintf("safetensors.FromFloat32(%q): %d values for shape %v", name, len(v), shape))
	}
	b := make([]byte, 4*len(v))
	for i, x := range v {
		putU32(b[4*i:], math.Float32bits(x))
	}
	return Tensor{Name: name, DType: F32, Shape: append([]int(nil), shape...), Data: b}
}

// FromInt64 makes an I64 tensor from values (len(v) must match shape).
func FromInt64(name string, shape []int, v []int64) Tensor {
	if len(v) != Numel(shape) {
		panic(fmt.Sprintf("safetensors.FromInt64(%q): %d values for shape %v", name, len(v), shape))
	}
	b := make([]byte, 8*len(v))
	for i, x := range v {
		putU64(b[8*i:], uint64(x))
	}
	return Tensor{Name: name, DType: I64, Shape: append([]int(nil), shape...), Data: b}
}

// Float32s decodes a float tensor's bytes (F32, F64, F16, BF16) to float32.
func Float32s(d DType, b []byte) ([]float32, error) {
	sz := d.Size()
	if !d.IsFloat() {
		return nil, fmt.Errorf("dtype %s is not a float type", d)
	}
	if len(b)%sz != 0 {
		return nil, fmt.Errorf("%d bytes is not a whole number of %s elements", len(b), d)
	}
	out := make([]float32, len(b)/sz)
	for i := range out {
		e := b[i*sz:]
		switch d {
		case F32:
			out[i] = math.Float32frombits(u32(e))
		case F64:
			out[i] = float32(math.Float64frombits(u64(e)))
		case BF16:
			out[i] = math.Float32frombits(uint32(u16(e)) << 16)
		case F16:
			out[i] = halfToFloat32(u16(e))
		}
	}
	return out, nil
}

// Int64s decodes an integer or boolean tensor's bytes to int64.
func Int64s(d DType, b []byte) ([]int64, error) {
	sz := d.Size()
	if !d.IsInt() {
		return nil, fmt.Errorf("dtype %s is not an integer type", d)
	}
	if len(b)%sz != 0 {
		return nil, fmt.Errorf("%d bytes is not a whole number of %s elements", len(b), d)
	}
	out := make([]int64, len(b)/sz)
	for i := range out {
		e := b[i*sz:]
		switch d {
		case I64:
			out[i] = int64(u64(e))
		case I32:
			out[i] = int64(int32(u32(e)))
		case I16:
			out[i] = int64(int16(u16(e)))
		case I8:
			out[i] = int64(int8(e[0]))
		case U8, Bool:
			out[i] = int64(e[0])
		}
	}
	return out, nil
}

// halfToFloat32 converts an IEEE 754 binary16 value.
func halfToFloat32(h uint16) float32 {
	sign := uint32(h>>15) << 31
	exp := uint32(h>>10) & 0x1f
	frac := uint32(h) & 0x3ff
	switch {
	case exp == 0x1f: // inf, NaN
		return math.Float32frombits(sign | 0xff<<23 | frac<<13)
	case exp == 0 && frac == 0:
		return math.Float32frombits(sign)
	case exp == 0: // subnormal: frac * 2^-24
		v := float32(frac) * (1.0 / (1 << 24))
		if sign != 0 {
			v = -v
		}
		return v
	}
	return math.Float32frombits(sign | (exp+127-15)<<23 | frac<<13)
}

func u16(b []byte) uint16 { return uint16(b[0]) | uint16(b[1])<<8 }
func u32(b []byte) uint32 {
	return uint32(b[0]) | uint32(b[1])<<8 | uint32(b[2])<<16 | uint32(b[3])<<24
}
func u64(b []byte) uint64 { return uint64(u32(b)) | uint64(u32(b[4:]))<<32 }
func putU32(b []byte, v uint32) {
	b[0], b[1], b[2], b[3] = byte(v), byte(v>>8), byte(v>>16), byte(v>>24)
}
func putU64(b []byte, v uint64) { putU32(b, uint32(v)); putU32(b[4:], uint32(v>>32)) }
