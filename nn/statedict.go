package nn

import (
	"fmt"
	"sort"
	"strings"

	"github.com/gcdet/gcdet/nn/safetensors"
	"github.com/gcdet/gcdet/tensor"
)

// State dicts: a module's parameters and buffers by their torchvision
// names, saved to and loaded from safetensors files. Float state is saved
// as F32 and counters (num_batches_tracked) as 0-d I64, as torch saves
// them; loading also accepts F64, F16 and BF16 floats.

// stateEntry is one key of a module's state dict.
type stateEntry struct {
	name  string
	value *tensor.Tensor // float state
	count *int64         // integer counter
}

// stateEntries lists m's saved state (parameters, then buffers) and the
// keys it accepts and drops; it reports a key used twice.
func stateEntries(m Module) (entries []stateEntry, ignored map[string]bool, err error) {
	seen := map[string]bool{}
	ignored = map[string]bool{}
	add := func(e stateEntry) error {
		if seen[e.name] {
			return fmt.Errorf("nn: state dict key %q used twice in the module (a module registered twice?)", e.name)
		}
		seen[e.name] = true
		entries = append(entries, e)
		return nil
	}
	for _, p := range m.Params() {
		if err := add(stateEntry{name: p.Name, value: p.Value}); err != nil {
			return nil, nil, err
		}
	}
	for _, b := range m.Buffers() {
		switch {
		case b.Ignored:
			ignored[b.Name] = true
			continue
		case b.Value != nil:
			err = add(stateEntry{name: b.Name, value: b.Value})
		case b.Count != nil:
			err = add(stateEntry{name: b.Name, count: b.Count})
		default:
			err = fmt.Errorf("nn: buffer %q holds neither a tensor nor a count", b.Name)
		}
		if err != nil {
			return nil, nil, err
		}
	}
	return entries, ignored, nil
}

// StateDictKeys lists the keys SaveSafetensors writes for m, in order.
func StateDictKeys(m Module) ([]string, error) {
	entries, _, err := stateEntries(m)
	if err != nil {
		return nil, err
	}
	keys := make([]string, len(entries))
	for i, e := range entries {
		keys[i] = e.name
	}
	return keys, nil
}

// StateTensors returns m's state dict as the safetensors tensors
// SaveSafetensors writes, in StateDictKeys order: float state as F32,
// counters as 0-d I64. A caller that writes more (a checkpoint with
// optimizer state) appends its own tensors and encodes the lot.
func StateTensors(m Module) ([]safetensors.Tensor, error) {
	entries, _, err := stateEntries(m)
	if err != nil {
		return nil, err
	}
	ts := make([]safetensors.Tensor, len(entries))
	for i, e := range entries {
		if e.count != nil {
			ts[i] = safetensors.FromInt64(e.name, nil, []int64{*e.count})
		} else {
			ts[i] = safetensors.FromFloat32(e.name, e.value.Shape(), e.value.Data())
		}
	}
	return ts, nil
}

// SaveSafetensors writes m's parameters and buffers to path (atomically:
// temporary file, fsync, rename). metadata (may be nil) goes to the
// header's __metadata__.
func SaveSafetensors(path string, m Module, metadata map[string]string) error {
	ts, err := StateTensors(m)
	if err != nil {
		return fmt.Errorf("%v (saving %s)", err, path)
	}
	return safetensors.WriteFile(path, ts, metadata)
}

// LoadOptions relax LoadSafetensorsWith.
type LoadOptions struct {
	// Prefix is prepended to every key of the file before matching, e.g.
	// "backbone.body." to load an ImageNet ResNet into a detector.
	Prefix string
	// AllowMissing accepts module keys the file lacks (they keep their
	// values and are listed in the report).
	AllowMissing bool
	// AllowUnexpected accepts file keys the module lacks (skipped and
	// listed in the report).
	AllowUnexpected bool
}

// LoadReport says what a load did.
type LoadReport struct {
	Loaded     int
	Missing    []string // module keys absent from the file (AllowMissing)
	Unexpected []string // file keys (with Prefix) the module lacks (AllowUnexpected)
}

// LoadError lists every problem of a failed load; nothing was changed.
type LoadError struct {
	Path       string
	Missing    []string // module keys absent from the file
	Unexpected []string // file keys the module lacks
	Problems   []string // shape mismatches, wrong dtypes, unreadable tensors, each naming its key
}

func (e *LoadError) Error() string {
	var parts []string
	if len(e.Missing) > 0 {
		parts = append(parts, fmt.Sprintf("missing keys %s", quoteList(e.Missing)))
	}
	if len(e.Unexpected) > 0 {
		parts = append(parts, fmt.Sprintf("unexpected keys %s", quoteList(e.Unexpected)))
	}
	parts = append(parts, e.Problems...)
	return fmt.Sprintf("nn: loading state dict from %s: %s", e.Path, strings.Join(parts, "; "))
}

func quoteList(keys []string) string {
	const show = 10
	q := make([]string, 0, show+1)
	for i, k := range keys {
		if i == show {
			q = append(q, fmt.Sprintf("... (%d more)", len(keys)-show))
			break
		}
		q = append(q, fmt.Sprintf("%q", k))
	}
	return "[" + strings.Join(q, ", ") + "]"
}

// LoadSafetensors loads every parameter and buffer of m from path by name,
// strictly: a key missing from the file, a file key the module lacks, a
// shape mismatch or an unreadable tensor fails the whole load with a
// *LoadError naming the keys and the file, and leaves m unchanged.
func LoadSafetensors(path string, m Module) error {
	_, err := LoadSafetensorsWith(path, m, LoadOptions{})
	return err
}

// LoadSafetensorsWith is LoadSafetensors with options. Shape mismatches and
// unreadable tensors are always errors; on any error m is unchanged.
func LoadSafetensorsWith(path string, m Module, o LoadOptions) (LoadReport, error) {
	var rep LoadReport
	entries, ignored, err := stateEntries(m)
	if err != nil {
		return rep, fmt.Errorf("%v (loading %s)", err, path)
	}
	f, err := safetensors.Open(path)
	if err != nil {
		return rep, err
	}
	defer f.Close()

	fileKey := map[string]string{} // module key -> file key
	for _, k := range f.Names {
		fileKey[o.Prefix+k] = k
	}
	le := &LoadError{Path: path}
	known := map[string]bool{}
	type pending struct {
		e      stateEntry
		floats []float32
		count  int64
	}
	var todo []pending
	for _, e := range entries {
		known[e.name] = true
		fk, ok := fileKey[e.name]
		if !ok {
			le.Missing = append(le.Missing, e.name)
			continue
		}
		info := f.Tensors[fk]
		if e.count != nil {
			_, v, err := f.Int64s(fk)
			switch {
			case err != nil:
				le.Problems = append(le.Problems, fmt.Sprintf("key %q: %v", fk, err))
			case len(v) != 1:
				le.Problems = append(le.Problems, fmt.Sprintf("key %q: shape %v, want a scalar count", fk, info.Shape))
			default:
				todo = append(todo, pending{e: e, count: v[0]})
			}
			continue
		}
		if !tensor.SameShape(info.Shape, e.value.Shape()) {
			le.Problems = append(le.Problems, fmt.Sprintf("key %q: shape %v in the file, %v in the model", fk, info.Shape, e.value.Shape()))
			continue
		}
		_, v, err := f.Float32s(fk)
		if err != nil {
			le.Problems = append(le.Problems, fmt.Sprintf("key %q: %v", fk, err))
			continue
		}
		todo = append(todo, pending{e: e, floats: v})
	}
	for _, k := range f.Names {
		if mk := o.Prefix + k; !known[mk] && !ignored[mk] {
			le.Unexpected = append(le.Unexpected, k)
		}
	}
	sort.Strings(le.Missing)
	sort.Strings(le.Unexpected)
	rep.Missing, rep.Unexpected = le.Missing, le.Unexpected
	if o.AllowMissing {
		le.Missing = nil
	}
	if o.AllowUnexpected {
		le.Unexpected = nil
	}
	if len(le.Missing)+len(le.Unexpected)+len(le.Problems) > 0 {
		return LoadReport{}, le
	}
	for _, p := range todo {
		if p.e.count != nil {
			*p.e.count = p.count
		} else {
			setValues(p.e.value, p.floats)
		}
	}
	rep.Loaded = len(todo)
	return rep, nil
}
