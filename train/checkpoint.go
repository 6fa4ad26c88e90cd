package train

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/gcdet/gcdet/coco"
	"github.com/gcdet/gcdet/nn"
	"github.com/gcdet/gcdet/nn/safetensors"
	"github.com/gcdet/gcdet/optim"
	"github.com/gcdet/gcdet/train/pth"
)

// A checkpoint is one safetensors file holding everything a run needs to
// continue bit for bit:
//
//	<parameter or buffer name>      the model's state dict, torchvision's keys
//	optimizer/<buffer>/<parameter>  the optimizer's buffers (momentum, Adam moments)
//	__metadata__ "gcdet"            JSON CheckpointMeta: iteration, config, categories,
//	                                optimizer and schedule state, generator state, data position
//
// The model keys alone form a valid state dict: nn.LoadSafetensorsWith
// with AllowUnexpected, or `detect-train predict --weights`, read it.
// Files are written atomically (temporary file in the same folder, fsync,
// rename, folder fsync): a crash mid-write leaves the previous checkpoint
// and at worst a stray temporary file, which List ignores and the next
// save removes.

// CheckpointFormat names the metadata layout.
const CheckpointFormat = "gcdet-checkpoint/1"

// OptimizerPrefix prefixes the optimizer's tensors in a checkpoint.
const OptimizerPrefix = "optimizer/"

// metaKey is the __metadata__ entry holding CheckpointMeta.
const metaKey = "gcdet"

// CheckpointMeta is the JSON part of a checkpoint.
type CheckpointMeta struct {
	Format string `json:"format"`
	// Iter is the number of iterations completed.
	Iter    int  `json:"iter"`
	MaxIter int  `json:"max_iter"`
	Final   bool `json:"final,omitempty"`
	// Config is the run's resolved config as YAML (configs.Parse reads it).
	Config string `json:"config"`
	// Categories are the training set's categories; label k is
	// Categories[k-1].
	Categories []coco.Category `json:"categories"`
	// Optimizer is the optimizer's state (tensors are in the file).
	Optimizer *optim.StateMeta `json:"optimizer,omitempty"`
	// RNG is the training generator's state (PCG MarshalBinary).
	RNG []byte `json:"rng,omitempty"`
	// Data is the training sampler's position.
	Data *coco.SamplerState `json:"data,omitempty"`
	// Elapsed is the training time so far, in seconds.
	Elapsed float64 `json:"elapsed"`
}

// Checkpoint is what SaveCheckpoint writes and LoadCheckpoint reads.
type Checkpoint struct {
	Meta      CheckpointMeta
	Model     *Weights
	Optimizer optim.State
}

// checkpoint file names: model_0001234.safetensors and model_final.safetensors.
var ckptName = regexp.MustCompile(`^model_(\d{7,})\.safetensors$`)

// FinalName is the final checkpoint's file name.
const FinalName = "model_final.safetensors"

// CheckpointPath is the file name of the checkpoint after iter iterations.
func CheckpointPath(dir string, iter int) string {
	return filepath.Join(dir, fmt.Sprintf("model_%07d.safetensors", iter))
}

// writeHook, when set (tests), wraps the writer of every checkpoint.
var writeHook func(io.Writer) io.Writer

// SaveCheckpoint writes m's state, the optimizer state and meta to path
// atomically.
func SaveCheckpoint(path string, m nn.Module, opt *optim.Optimizer, meta CheckpointMeta) error {
	meta.Format = CheckpointFormat
	entries, _ := moduleState(m)
	var ts []safetensors.Tensor
	for _, e := range entries {
		if e.count != nil {
			ts = append(ts, safetensors.FromInt64(e.name, nil, []int64{*e.count}))
		} else {
			ts = append(ts, safetensors.FromFloat32(e.name, e.value.Shape(), e.value.Data()))
		}
	}
	if opt != nil {
		st := opt.State()
		keys := make([]string, 0, len(st.Tensors))
		for k := range st.Tensors {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			t := st.Tensors[k]
			ts = append(ts, safetensors.FromFloat32(OptimizerPrefix+k, t.Shape, t.Data))
		}
		meta.Optimizer = &st.Meta
	}
	js, err := json.Marshal(meta)
	if err != nil {
		return fmt.Errorf("checkpoint %s: %v", path, err)
	}
	return writeAtomic(path, func(w io.Writer) error {
		return safetensors.Encode(w, ts, map[string]string{metaKey: string(js)})
	})
}

// writeAtomic writes path through safetensors.WriteAtomic (temporary file,
// sync, rename, folder sync), creating the folder and applying writeHook.
func writeAtomic(path string, write func(io.Writer) error) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return safetensors.WriteAtomic(path, func(w io.Writer) error {
		if writeHook != nil {
			w = writeHook(w)
		}
		return write(w)
	})
}

// LoadCheckpoint reads a checkpoint written by SaveCheckpoint.
func LoadCheckpoint(path string) (*Checkpoint, error) {
	f, err := safetensors.Open(path)
	if err != nil {
		return nil, fmt.Errorf("checkpoint: %v", err)
	}
	defer f.Close()
	js, ok := f.Metadata[metaKey]
	if !ok {
		return nil, fmt.Errorf("checkpoint %s: no gcdet metadata (a plain state dict? use it as model.weights)", path)
	}
	c := &Checkpoint{Model: &Weights{Path: path, Tensors: map[string]pth.Tensor{}},
		Optimizer: optim.State{Tensors: map[string]optim.StateTensor{}}}
	if err := json.Unmarshal([]byte(js), &c.Meta); err != nil {
		return nil, fmt.Errorf("checkpoint %s: metadata: %v", path, err)
	}
	if c.Meta.Format != CheckpointFormat {
		return nil, fmt.Errorf("checkpoint %s: format %q, want %q", path, c.Meta.Format, CheckpointFormat)
	}
	if c.Meta.Optimizer != nil {
		c.Optimizer.Meta = *c.Meta.Optimizer
	}
	for _, n := range f.Names {
		info := f.Tensors[n]
		if k, ok := strings.CutPrefix(n, OptimizerPrefix); ok {
			_, v, err := f.Float32s(n)
			if err != nil {
				return nil, fmt.Errorf("checkpoint %s: key %q: %v", path, n, err)
			}
			c.Optimizer.Tensors[k] = optim.StateTensor{Shape: append([]int{}, info.Shape...), Data: v}
			continue
		}
		t := pth.Tensor{Shape: append([]int{}, info.Shape...)}
		if info.DType.IsFloat() {
			_, t.Float, err = f.Float32s(n)
		} else {
			_, t.Int, err = f.Int64s(n)
		}
		if err != nil {
			return nil, fmt.Errorf("checkpoint %s: key %q: %v", path, n, err)
		}
		c.Model.Tensors[n] = t
		c.Model.Names = append(c.Model.Names, n)
	}
	return c, nil
}

// CheckpointFile is one checkpoint found in a folder.
type CheckpointFile struct {
	Path  string
	Iter  int
	Final bool
}

// ListCheckpoints lists dir's periodic checkpoints by iteration, then the
// final one if present. Temporary files of interrupted writes are left
// out.
func ListCheckpoints(dir string) ([]CheckpointFile, error) {
	ents, err := os.ReadDir(dir)
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []CheckpointFile
	var final *CheckpointFile
	for _, e := range ents {
		if m := ckptName.FindStringSubmatch(e.Name()); m != nil {
			it, err := strconv.Atoi(m[1])
			if err != nil {
				continue // not one of ours (an iteration number beyond int)
			}
			out = append(out, CheckpointFile{Path: filepath.Join(dir, e.Name()), Iter: it})
		} else if e.Name() == FinalName {
			final = &CheckpointFile{Path: filepath.Join(dir, e.Name()), Final: true, Iter: -1}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Iter < out[j].Iter })
	if final != nil {
		out = append(out, *final)
	}
	return out, nil
}

// pruneCheckpoints keeps the newest keep periodic checkpoints (all when
// keep is 0) and removes stray temporary files.
func pruneCheckpoints(dir string, keep int) error {
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), ".model_") && strings.Contains(e.Name(), ".tmp") {
			os.Remove(filepath.Join(dir, e.Name()))
		}
	}
	if keep <= 0 {
		return nil
	}
	list, err := ListCheckpoints(dir)
	if err != nil {
		return err
	}
	var periodic []CheckpointFile
	for _, c := range list {
		if !c.Final {
			periodic = append(periodic, c)
		}
	}
	for i := 0; i+keep < len(periodic); i++ {
		if err := os.Remove(periodic[i].Path); err != nil {
			return err
		}
	}
	return nil
}

// isZip tells a torch zip archive by its first bytes.
func isZip(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	var b [4]byte
	n, _ := io.ReadFull(f, b[:])
	return n == 4 && string(b[:]) == "PK\x03\x04"
}
