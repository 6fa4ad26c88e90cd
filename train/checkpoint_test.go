package train

import (
	"github.com/gcdet/gcdet/train/pth"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/gcdet/gcdet/coco"
	"github.com/gcdet/gcdet/nn"
	"github.com/gcdet/gcdet/optim"
)

// smallModule is a module with a parameter and a counter buffer.
type smallModule struct {
	nn.Container
}

func newSmall(seed uint64) (*smallModule, *optim.Optimizer) {
	rng := rand.New(rand.NewPCG(seed, 1))
	m := &smallModule{}
	nn.Register(&m.Container, "fc", nn.NewLinear(rng, 64, 256, true))
	nn.Register(&m.Container, "bn", nn.NewBatchNorm2d(8))
	opt, err := optim.New(m.Params(), optim.DefaultConfig(), optim.Options{})
	if err != nil {
		panic(err)
	}
	return m, opt
}

func TestCheckpointRoundTripAndKeepLast(t *testing.T) {
	dir := t.TempDir()
	m, opt := newSmall(1)
	for it := 1; it <= 5; it++ {
		meta := CheckpointMeta{Iter: it, MaxIter: 9, Config: "seed: 1\n", Categories: []coco.Category{{ID: 3, Name: "x"}},
			RNG: []byte{1, 2, 3}, Data: &coco.SamplerState{Epoch: 1, Pos: it}}
		if err := SaveCheckpoint(CheckpointPath(dir, it*10), m, opt, meta); err != nil {
			t.Fatal(err)
		}
		if err := pruneCheckpoints(dir, 2); err != nil {
			t.Fatal(err)
		}
	}
	if err := SaveCheckpoint(filepath.Join(dir, FinalName), m, opt, CheckpointMeta{Iter: 9, Final: true}); err != nil {
		t.Fatal(err)
	}
	pruneCheckpoints(dir, 2)
	list, err := ListCheckpoints(dir)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, c := range list {
		got = append(got, filepath.Base(c.Path))
	}
	want := "model_0000040.safetensors model_0000050.safetensors model_final.safetensors"
	if strings.Join(got, " ") != want {
		t.Fatalf("kept %v, want %s", got, want)
	}
	c, err := LoadCheckpoint(list[1].Path)
	if err != nil {
		t.Fatal(err)
	}
	if c.Meta.Iter != 5 || c.Meta.Data.Pos != 5 || string(c.Meta.RNG) != "\x01\x02\x03" || c.Meta.Categories[0].ID != 3 {
		t.Errorf("meta %+v", c.Meta)
	}
	// The model part loads back into a fresh module, strictly.
	m2, _ := newSmall(2)
	if _, err := Assign(m2, c.Model, AssignOptions{}); err != nil {
		t.Fatal(err)
	}
	if m2.Params()[0].Value.Data()[7] != m.Params()[0].Value.Data()[7] {
		t.Error("weights not restored")
	}
	// And nn's own loader reads it as a state dict (optimizer keys aside).
	m3, _ := newSmall(3)
	rep, err := nn.LoadSafetensorsWith(list[1].Path, m3, nn.LoadOptions{AllowUnexpected: true})
	if err != nil || rep.Loaded == 0 {
		t.Errorf("nn.LoadSafetensorsWith: %v %+v", err, rep)
	}
}

// killAfter is the crash helper's writer: it kills the process once n
// bytes went through.
type killAfter struct {
	w io.Writer
	n int
}

func (k *killAfter) Write(b []byte) (int, error) {
	if k.n -= len(b); k.n <= 0 {
		syscall.Kill(os.Getpid(), syscall.SIGKILL)
		select {}
	}
	return k.w.Write(b)
}

// TestCrashHelper is run as a subprocess by TestCrashDuringCheckpointWrite:
// it overwrites the checkpoint and dies halfway through.
func TestCrashHelper(t *testing.T) {
	path := os.Getenv("GCDET_CRASH_CHECKPOINT")
	if path == "" {
		t.Skip("helper process only")
	}
	m, opt := newSmall(9)
	writeHook = func(w io.Writer) io.Writer { return &killAfter{w: w, n: 40000} }
	SaveCheckpoint(path, m, opt, CheckpointMeta{Iter: 2})
	t.Fatal("the helper should have been killed")
}

// TestCrashDuringCheckpointWrite kills a process while it writes a
// checkpoint over an existing one: the previous checkpoint stays loadable,
// the partial file is a temporary that listing ignores and pruning
// removes.
func TestCrashDuringCheckpointWrite(t *testing.T) {
	dir := t.TempDir()
	path := CheckpointPath(dir, 1)
	m, opt := newSmall(1)
	if err := SaveCheckpoint(path, m, opt, CheckpointMeta{Iter: 1}); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashHelper$")
	cmd.Env = append(os.Environ(), "GCDET_CRASH_CHECKPOINT="+path)
	out, err := cmd.CombinedOutput()
	ee, ok := err.(*exec.ExitError)
	if !ok || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		t.Fatalf("helper was not killed: %v\n%s", err, out)
	}
	c, err := LoadCheckpoint(path)
	if err != nil {
		t.Fatalf("previous checkpoint unreadable after the crash: %v", err)
	}
	if c.Meta.Iter != 1 {
		t.Fatalf("checkpoint now says iteration %d", c.Meta.Iter)
	}
	ents, _ := os.ReadDir(dir)
	var tmp []string
	for _, e := range ents {
		if strings.Contains(e.Name(), ".tmp") {
			tmp = append(tmp, e.Name())
		}
	}
	if len(tmp) != 1 {
		t.Fatalf("expected one partial temporary file, found %v", tmp)
	}
	list, _ := ListCheckpoints(dir)
	if len(list) != 1 || list[0].Path != path {
		t.Fatalf("listing: %+v", list)
	}
	pruneCheckpoints(dir, 3)
	if _, err := os.Stat(filepath.Join(dir, tmp[0])); !os.IsNotExist(err) {
		t.Errorf("temporary file not removed: %v", err)
	}
}

func TestLoadCheckpointErrors(t *testing.T) {
	dir := t.TempDir()
	m, _ := newSmall(1)
	plain := filepath.Join(dir, "plain.safetensors")
	if err := nn.SaveSafetensors(plain, m, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadCheckpoint(plain); err == nil || !strings.Contains(err.Error(), "no gcdet metadata") {
		t.Errorf("plain state dict: %v", err)
	}
	bad := filepath.Join(dir, "bad.safetensors")
	os.WriteFile(bad, []byte("not a checkpoint"), 0o644)
	if _, err := LoadCheckpoint(bad); err == nil {
		t.Error("garbage accepted")
	}
	// Strict assignment names the keys.
	w := &Weights{Path: "x.safetensors", Tensors: map[string]pth.Tensor{}}
	_, err := Assign(m, w, AssignOptions{})
	if err == nil || !strings.Contains(err.Error(), `missing keys ["bn.bias"`) {
		t.Errorf("missing keys: %v", err)
	}
	w.Tensors["fc.weight"] = pth.Tensor{Shape: []int{3}, Float: []float32{1, 2, 3}}
	w.Tensors["zzz"] = pth.Tensor{Shape: []int{1}, Float: []float32{1}}
	w.Names = []string{"fc.weight", "zzz"}
	_, err = Assign(m, w, AssignOptions{AllowMissing: true})
	if err == nil || !strings.Contains(err.Error(), `unexpected keys ["zzz"]`) || !strings.Contains(err.Error(), `key "fc.weight": shape [3] in the file, [256 64] in the model`) {
		t.Errorf("unexpected/shape: %v", err)
	}
}
