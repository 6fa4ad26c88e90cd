package safetensors

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// Encode writes tensors (in the given order) and optional metadata as a
// safetensors image. The header is padded with spaces to a multiple of 8
// bytes so the data section is aligned.
func Encode(w io.Writer, tensors []Tensor, metadata map[string]string) error {
	var hb strings.Builder
	hb.WriteByte('{')
	first := true
	sep := func() {
		if !first {
			hb.WriteByte(',')
		}
		first = false
	}
	if len(metadata) > 0 {
		keys := make([]string, 0, len(metadata))
		for k := range metadata {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		sep()
		hb.WriteString(`"__metadata__":{`)
		for i, k := range keys {
			if i > 0 {
				hb.WriteByte(',')
			}
			hb.WriteString(quote(k))
			hb.WriteByte(':')
			hb.WriteString(quote(metadata[k]))
		}
		hb.WriteByte('}')
	}
	seen := make(map[string]bool, len(tensors))
	var off int64
	for _, t := range tensors {
		if t.Name == "__metadata__" || seen[t.Name] {
			return fmt.Errorf("safetensors: tensor name %q is reserved or repeated", t.Name)
		}
		seen[t.Name] = true
		sz := t.DType.Size()
		if sz == 0 {
			return fmt.Errorf("safetensors: tensor %q: unknown dtype %q", t.Name, t.DType)
		}
		for _, d := range t.Shape {
			if d < 0 {
				return fmt.Errorf("safetensors: tensor %q: negative size in shape %v", t.Name, t.Shape)
			}
		}
		if n := Numel(t.Shape) * sz; n != len(t.Data) {
			return fmt.Errorf("safetensors: tensor %q: %d bytes for shape %v of %s (needs %d)", t.Name, len(t.Data), t.Shape, t.DType, n)
		}
		sep()
		hb.WriteString(quote(t.Name))
		hb.WriteString(`:{"dtype":"`)
		hb.WriteString(string(t.DType))
		hb.WriteString(`","shape":[`)
		for i, d := range t.Shape {
			if i > 0 {
				hb.WriteByte(',')
			}
			hb.WriteString(strconv.Itoa(d))
		}
		end := off + int64(len(t.Data))
		fmt.Fprintf(&hb, `],"data_offsets":[%d,%d]}`, off, end)
		off = end
	}
	hb.WriteByte('}')
	for hb.Len()%8 != 0 {
		hb.WriteByte(' ')
	}
	var lb [8]byte
	putU64(lb[:], uint64(hb.Len()))
	if _, err := w.Write(lb[:]); err != nil {
		return err
	}
	if _, err := io.WriteString(w, hb.String()); err != nil {
		return err
	}
	for _, t := range tensors {
		if _, err := w.Write(t.Data); err != nil {
			return err
		}
	}
	return nil
}

func quote(s string) string {
	b, _ := json.Marshal(s) // strings always marshal
	return string(b)
}

// WriteFile writes a safetensors file atomically (see WriteAtomic), so a
// crash leaves either the old file or the complete new one.
func WriteFile(path string, tensors []Tensor, metadata map[string]string) error {
	err := WriteAtomic(path, func(w io.Writer) error { return Encode(w, tensors, metadata) })
	if err != nil {
		return fmt.Errorf("safetensors: %w", err)
	}
	return nil
}

// WriteAtomic writes a file through write: the bytes go (buffered) to a
// temporary file in path's folder, which is synced and renamed over path,
// and the folder is then synced, so a crash leaves either the old file or
// the complete new one. On error the temporary file is removed. Errors name
// path.
func WriteAtomic(path string, write func(w io.Writer) error) (err error) {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	bw := bufio.NewWriterSize(tmp, 1<<20)
	if err = write(bw); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if err = bw.Flush(); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if err = tmp.Sync(); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if err = tmp.Close(); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if err = os.Rename(tmp.Name(), path); err != nil {
		return err
	}
	// Make the rename durable; not every platform can sync a folder.
	if d, derr := os.Open(dir); derr == nil {
		d.Sync()
		d.Close()
	}
	return nil
}
