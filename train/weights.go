package train

import (
	"fmt"
	"sort"
	"strings"

	"github.com/gcdet/gcdet/nn"
	"github.com/gcdet/gcdet/nn/safetensors"
	"github.com/gcdet/gcdet/tensor"
	"github.com/gcdet/gcdet/train/pth"
)

// Weights are named tensors read from a file (a torch .pth state dict, a
// safetensors state dict or a gcdet checkpoint), as pth.Tensor values.
type Weights struct {
	Path    string
	Tensors map[string]pth.Tensor
	Names   []string
}

// ReadWeights reads a .pth/.pt (torch zip format) or .safetensors file.
// The format is told by the file's first bytes, not its name.
func ReadWeights(path string) (*Weights, error) {
	if isZip(path) {
		sd, err := pth.Load(path)
		if err != nil {
			return nil, err
		}
		return &Weights{Path: path, Tensors: sd.Tensors, Names: sd.Names}, nil
	}
	f, err := safetensors.Open(path)
	if err != nil {
		return nil, fmt.Errorf("weights %s: neither a torch zip archive nor safetensors: %v", path, err)
	}
	defer f.Close()
	w := &Weights{Path: path, Tensors: map[string]pth.Tensor{}}
	for _, n := range f.Names {
		info := f.Tensors[n]
		t := pth.Tensor{Shape: append([]int{}, info.Shape...)}
		if info.DType.IsFloat() {
			_, t.Float, err = f.Float32s(n)
		} else {
			_, t.Int, err = f.Int64s(n)
		}
		if err != nil {
			return nil, fmt.Errorf("weights %s: key %q: %v", path, n, err)
		}
		w.Tensors[n] = t
		w.Names = append(w.Names, n)
	}
	return w, nil
}

// stateEntry is one named tensor or counter of a module.
type stateEntry struct {
	name  string
	value *tensor.Tensor
	count *int64
}

// moduleState lists m's parameters and buffers (the keys of its state
// dict) and the keys it accepts and ignores.
func moduleState(m nn.Module) ([]stateEntry, map[string]bool) {
	var out []stateEntry
	ignored := map[string]bool{}
	for _, p := range m.Params() {
		out = append(out, stateEntry{name: p.Name, value: p.Value})
	}
	for _, b := range m.Buffers() {
		switch {
		case b.Ignored:
			ignored[b.Name] = true
		case b.Value != nil:
			out = append(out, stateEntry{name: b.Name, value: b.Value})
		case b.Count != nil:
			out = append(out, stateEntry{name: b.Name, count: b.Count})
		}
	}
	return out, ignored
}

// AssignOptions control Assign.
type AssignOptions struct {
	// Prefix is prepended to each file key to find the module key
	// ("backbone.body." for an ImageNet ResNet).
	Prefix string
	// Skip drops file keys for which it returns true (after Prefix).
	Skip func(key string) bool
	// Reinit lists module keys whose shape may differ from the file's:
	// they keep the module's values (class-specific layers).
	Reinit func(key string) bool
	// AllowMissing accepts module keys the file lacks.
	AllowMissing bool
}

// AssignReport says what Assign did.
type AssignReport struct {
	Loaded  int
	Skipped []string // file keys dropped by Skip
	Kept    []string // module keys left as they were (Reinit with another shape)
	Missing []string // module keys the file lacks (AllowMissing)
}

// Assign copies w's tensors into m by name. Unknown keys, missing keys
// (unless allowed) and shape mismatches (outside Reinit) are errors that
// name the keys and the file; on error m is unchanged.
func Assign(m nn.Module, w *Weights, o AssignOptions) (AssignReport, error) {
	var rep AssignReport
	entries, ignored := moduleState(m)
	byName := map[string]stateEntry{}
	for _, e := range entries {
		byName[e.name] = e
	}
	var unexpected, missing, problems []string
	type todo struct {
		e stateEntry
		t pth.Tensor
	}
	var work []todo
	seen := map[string]bool{}
	for _, n := range w.Names {
		key := o.Prefix + n
		if o.Skip != nil && o.Skip(key) {
			rep.Skipped = append(rep.Skipped, n)
			continue
		}
		if ignored[key] {
			continue
		}
		e, ok := byName[key]
		if !ok {
			unexpected = append(unexpected, n)
			continue
		}
		seen[key] = true
		t := w.Tensors[n]
		if e.count != nil {
			if len(t.Int) != 1 {
				problems = append(problems, fmt.Sprintf("key %q: want a scalar integer, file has shape %v", n, t.Shape))
				continue
			}
			work = append(work, todo{e, t})
			continue
		}
		if !tensor.SameShape(t.Shape, e.value.Shape()) {
			if o.Reinit != nil && o.Reinit(key) {
				rep.Kept = append(rep.Kept, key)
				continue
			}
			problems = append(problems, fmt.Sprintf("key %q: shape %v in the file, %v in the model", n, t.Shape, e.value.Shape()))
			continue
		}
		if t.Float == nil {
			problems = append(problems, fmt.Sprintf("key %q: integer tensor for a float parameter", n))
			continue
		}
		work = append(work, todo{e, t})
	}
	for _, e := range entries {
		if !seen[e.name] {
			missing = append(missing, e.name)
		}
	}
	sort.Strings(missing)
	if o.AllowMissing {
		rep.Missing, missing = missing, nil
	}
	if len(unexpected)+len(missing)+len(problems) > 0 {
		var parts []string
		if len(missing) > 0 {
			parts = append(parts, "missing keys "+list(missing))
		}
		if len(unexpected) > 0 {
			parts = append(parts, "unexpected keys "+list(unexpected))
		}
		parts = append(parts, problems...)
		return AssignReport{}, fmt.Errorf("weights %s: %s", w.Path, strings.Join(parts, "; "))
	}
	for _, t := range work {
		if t.e.count != nil {
			*t.e.count = t.t.Int[0]
			continue
		}
		b := t.e.value.Backend()
		b.Copy(t.e.value.Storage(), b.FromHost(t.t.Float))
		rep.Loaded++
	}
	return rep, nil
}

func list(keys []string) string {
	const show = 8
	var q []string
	for i, k := range keys {
		if i == show {
			q = append(q, fmt.Sprintf("... (%d more)", len(keys)-show))
			break
		}
		q = append(q, fmt.Sprintf("%q", k))
	}
	return "[" + strings.Join(q, ", ") + "]"
}

// classSpecific reports the keys of layers whose shape depends on the
// number of classes: torchvision's box and mask predictors.
func classSpecific(key string) bool {
	return strings.HasPrefix(key, "roi_heads.box_predictor.") || strings.HasPrefix(key, "roi_heads.mask_predictor.")
}
