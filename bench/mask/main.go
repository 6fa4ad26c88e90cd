// Command mask benchmarks gcdet's Mask R-CNN R50-FPN against torchvision's
// on the same machine, back to back, and prints the ratios (recorded
// figures: ../README.md, section mask).
//
// Workload (../../shared/tools/torch_reference/rcnn_bench.py's): Mask R-CNN
// R50-FPN in torchvision's configuration with 91 classes and its random
// initialization layout (BatchNorm2d, all backbone stages trainable), one
// 3x512x512 image, 3 boxes with rectangular masks.
//
//	train  forward with the five losses, backward, SGD step (lr 0.002,
//	       momentum 0.9, weight decay 1e-4, no GC, no clipping)
//	infer  eval-mode prediction with masks pasted into the image (score
//	       threshold 0.05, or -score-thresh 0 for 100 detections, the
//	       largest mask head load)
//
// Each side runs in its own process, ours as this binary with -child, so
// each peak resident set (VmHWM, getrusage's maxrss for PyTorch) is its
// own. PyTorch runs with OPENBLAS_NUM_THREADS and torch threads = -threads.
// -clock cpu times steps in process CPU seconds on both sides (for a loaded
// machine, where wall times swing; at -threads 1 neither side spins).
//
// Variants of ours: default (GOGC=100), gogc25 (GOGC=25), memlimit
// (GOMEMLIMIT=1800MiB, about PyTorch's peak): the Go collector's headroom
// is most of our peak above the live tensors.
//
//	go run ./bench/mask -mode train,infer -steps 5 -rounds 2 -variants default,gogc25,memlimit
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/gcdet/gcdet/backbone"
	"github.com/gcdet/gcdet/box"
	"github.com/gcdet/gcdet/coco"
	"github.com/gcdet/gcdet/detector"
	"github.com/gcdet/gcdet/heads/roi"
	"github.com/gcdet/gcdet/heads/rpn"
	"github.com/gcdet/gcdet/nn"
	"github.com/gcdet/gcdet/optim"
	"github.com/gcdet/gcdet/tensor"
)

type result struct {
	Side      string    `json:"side"`
	Variant   string    `json:"variant,omitempty"`
	Mode      string    `json:"mode"`
	Steps     []float64 `json:"steps_s"`
	PeakRSSKB int       `json:"peak_rss_kb"`
	MaskRoIs  int       `json:"mask_rois"`
	Dets      int       `json:"detections"`
}

func (r result) median() float64 {
	s := append([]float64(nil), r.Steps...)
	sort.Float64s(s)
	return s[len(s)/2]
}

func (r result) best() float64 {
	s := append([]float64(nil), r.Steps...)
	sort.Float64s(s)
	return s[0]
}

const torchBench = "/work/shared/tools/torch_reference/rcnn_bench.py"

func main() {
	modes := flag.String("mode", "train,infer", "comma-separated: train, infer")
	steps := flag.Int("steps", 5, "timed steps per run (after -warmup)")
	warmup := flag.Int("warmup", 2, "untimed steps first")
	threads := flag.Int("threads", 2, "threads per side")
	rounds := flag.Int("rounds", 1, "alternating rounds of PyTorch and ours")
	scoreThresh := flag.Float64("score-thresh", -1, "infer: box score threshold (-1: the preset's 0.05; 0 gives 100 detections)")
	python := flag.String("python", "/usr/bin/python3", "Python with torch; empty skips PyTorch")
	script := flag.String("torch-script", torchBench, "rcnn_bench.py")
	variants := flag.String("variants", "default", "comma-separated variants of ours: default, gogc25 (GOGC=25), memlimit (GOMEMLIMIT=1800MiB, PyTorch's peak)")
	clock := flag.String("clock", "wall", "what a step's time is: wall, or cpu (the process's CPU seconds, all threads: steadier on a loaded machine)")
	child := flag.String("child", "", "internal: run one mode in this process and print JSON")
	flag.Parse()
	if *child != "" {
		r, err := runChild(*child, *warmup, *steps, *scoreThresh, *clock == "cpu")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		json.NewEncoder(os.Stdout).Encode(r)
		return
	}
	if *clock != "wall" && *clock != "cpu" {
		fmt.Fprintf(os.Stderr, "-clock %q: want wall or cpu\n", *clock)
		os.Exit(2)
	}
	fmt.Printf("machine: %d CPUs, %d threads per side, %s clock, %s\n", runtime.NumCPU(), *threads, *clock, loadAvg())
	for _, mode := range strings.Split(*modes, ",") {
		var theirs []result
		ours := map[string][]result{}
		for range *rounds {
			if *python != "" {
				r, err := runTorch(*python, *script, mode, *warmup, *steps, *threads, *scoreThresh, *clock == "cpu")
				if err != nil {
					fmt.Fprintf(os.Stderr, "torch %s: %v\n", mode, err)
				} else {
					theirs = append(theirs, r)
				}
			}
			for _, v := range strings.Split(*variants, ",") {
				r, err := runOurs(mode, v, *warmup, *steps, *threads, *scoreThresh, *clock)
				if err != nil {
					fmt.Fprintf(os.Stderr, "gcdet %s/%s: %v\n", mode, v, err)
					continue
				}
				ours[v] = append(ours[v], r)
			}
		}
		t := merge(theirs)
		show := func(r *result) {
			fmt.Printf("%-5s %-6s %-8s median %6.2f s  best %6.2f s  (%d steps)  peak RSS %6.0f MiB  mask RoIs %d  detections %d",
				r.Mode, r.Side, r.Variant, r.median(), r.best(), len(r.Steps), float64(r.PeakRSSKB)/1024, r.MaskRoIs, r.Dets)
			if t != nil && r != t {
				fmt.Printf("  ours/torch: time %.2f (best %.2f), peak %.2f", r.median()/t.median(), r.best()/t.best(), float64(r.PeakRSSKB)/float64(t.PeakRSSKB))
			}
			fmt.Println()
		}
		if t != nil {
			show(t)
		}
		for _, v := range strings.Split(*variants, ",") {
			if o := merge(ours[v]); o != nil {
				show(o)
			}
		}
		fmt.Printf("  (%s)\n", loadAvg())
	}
}

// merge pools the rounds' steps and keeps the highest peak.
func merge(rs []result) *result {
	if len(rs) == 0 {
		return nil
	}
	r := rs[0]
	r.Steps = nil
	for _, x := range rs {
		r.Steps = append(r.Steps, x.Steps...)
		r.PeakRSSKB = max(r.PeakRSSKB, x.PeakRSSKB)
	}
	return &r
}

func runOurs(mode, variant string, warmup, steps, threads int, scoreThresh float64, clock string) (result, error) {
	exe, err := os.Executable()
	if err != nil {
		return result{}, err
	}
	cmd := exec.Command(exe, "-child", mode, "-clock", clock, "-warmup", strconv.Itoa(warmup), "-steps", strconv.Itoa(steps),
		"-score-thresh", strconv.FormatFloat(scoreThresh, 'g', -1, 64))
	cmd.Env = append(os.Environ(), "GCDET_THREADS="+strconv.Itoa(threads), "OPENBLAS_NUM_THREADS="+strconv.Itoa(threads))
	switch variant {
	case "default":
	case "gogc25":
		cmd.Env = append(cmd.Env, "GOGC=25")
	case "memlimit":
		cmd.Env = append(cmd.Env, "GOMEMLIMIT=1800MiB")
	default:
		return result{}, fmt.Errorf("unknown variant %q", variant)
	}
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		return result{}, err
	}
	var r result
	err = json.Unmarshal(lastLine(out), &r)
	r.Variant = variant
	return r, err
}

// runTorch runs rcnn_bench.py under a wrapper that prints the process's
// peak resident set after it; with cpu, the wrapper makes the script's
// time.perf_counter the process's CPU clock (time.process_time), so its
// step times are CPU seconds.
func runTorch(python, script, mode string, warmup, steps, threads int, scoreThresh float64, cpu bool) (result, error) {
	args := []string{"--model", "mrcnn_r50", "--bb", "default", "--mode", mode, "--warmup", strconv.Itoa(warmup),
		"--steps", strconv.Itoa(steps), "--threads", strconv.Itoa(threads)}
	if mode == "infer" && scoreThresh >= 0 {
		args = append(args, "--score-thresh", strconv.FormatFloat(scoreThresh, 'g', -1, 64))
	}
	wrapper := `import json, resource, runpy, sys, time
sys.argv = sys.argv[1:]
if sys.argv[0] == "cpu":
    time.perf_counter = time.process_time
sys.argv = sys.argv[1:]
runpy.run_path(sys.argv[0], run_name="__main__")
print(json.dumps({"maxrss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))`
	clk := "wall"
	if cpu {
		clk = "cpu"
	}
	cmd := exec.Command(python, append([]string{"-c", wrapper, clk, script}, args...)...)
	cmd.Env = append(os.Environ(), "OPENBLAS_NUM_THREADS="+strconv.Itoa(threads), "OMP_NUM_THREADS="+strconv.Itoa(threads))
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		return result{}, err
	}
	lines := bytes.Split(bytes.TrimSpace(out), []byte("\n"))
	if len(lines) < 2 {
		return result{}, fmt.Errorf("unexpected output %q", out)
	}
	var rss struct {
		MaxRSS int `json:"maxrss_kb"`
	}
	var res struct {
		Train  []float64      `json:"train_step_s"`
		Infer  []float64      `json:"infer_s"`
		Counts map[string]int `json:"roi_counts_last_call"`
		Dets   int            `json:"num_detections"`
	}
	if err := json.Unmarshal(lines[len(lines)-1], &rss); err != nil {
		return result{}, err
	}
	if err := json.Unmarshal(lines[len(lines)-2], &res); err != nil {
		return result{}, err
	}
	r := result{Side: "torch", Mode: mode, PeakRSSKB: rss.MaxRSS, MaskRoIs: res.Counts["mask_rois"], Dets: res.Dets}
	r.Steps = res.Train
	if mode == "infer" {
		r.Steps = res.Infer
	}
	return r, nil
}

func lastLine(b []byte) []byte {
	lines := bytes.Split(bytes.TrimSpace(b), []byte("\n"))
	return lines[len(lines)-1]
}

// workload builds rcnn_bench.py's model and input on our side.
func workload(scoreThresh float64) (*detector.GeneralizedRCNN, detector.ImageList, []roi.GroundTruth, error) {
	cfg := detector.TorchvisionMaskRCNNConfig(90)
	cfg.Backbone = backbone.Config{Depth: 50, Norm: backbone.BN}
	if scoreThresh >= 0 {
		cfg.RoI.ScoreThresh = float32(scoreThresh)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	m, err := detector.New(rng, cfg)
	if err != nil {
		return nil, detector.ImageList{}, nil, err
	}
	// torch.rand image normalized by ImageNet mean/std, as
	// GeneralizedRCNNTransform does.
	const s = 512
	mean, std := [3]float32{0.485, 0.456, 0.406}, [3]float32{0.229, 0.224, 0.225}
	px := make([]float32, 3*s*s)
	for i := range px {
		c := i / (s * s)
		px[i] = (rng.Float32() - mean[c]) / std[c]
	}
	images := detector.ImageList{Tensor: tensor.FromSlice(px, 1, 3, s, s), Sizes: []rpn.ImageSize{{H: s, W: s}}}
	boxes := [][4]int{{40, 50, 200, 260}, {250, 100, 480, 300}, {100, 320, 300, 500}}
	gt := roi.GroundTruth{Boxes: box.Boxes{}, Labels: []int32{1, 2, 3}}
	for _, b := range boxes {
		gt.Boxes = append(gt.Boxes, float32(b[0]), float32(b[1]), float32(b[2]), float32(b[3]))
		bm := make([]uint8, s*s)
		for y := b[1]; y < b[3]; y++ {
			for x := b[0]; x < b[2]; x++ {
				bm[y*s+x] = 1
			}
		}
		gt.Masks = append(gt.Masks, coco.Mask{Bitmap: bm})
	}
	return m, images, []roi.GroundTruth{gt}, nil
}

func runChild(mode string, warmup, steps int, scoreThresh float64, cpu bool) (result, error) {
	m, images, gts, err := workload(scoreThresh)
	if err != nil {
		return result{}, err
	}
	r := result{Side: "gcdet", Mode: mode}
	var step func() error
	switch mode {
	case "train":
		oc := optim.DefaultConfig()
		oc.LR, oc.Momentum, oc.WeightDecay, oc.ClipNorm = 0.002, 0.9, 1e-4, 0
		oc.GC.Scope = optim.ScopeOff
		opt, err := optim.New(nn.TrainableParams(m), oc, optim.Options{})
		if err != nil {
			return r, err
		}
		rng := rand.New(rand.NewPCG(3, 4))
		m.Train(true)
		step = func() error {
			out, err := m.Forward(images, gts, rng)
			if err != nil {
				return err
			}
			r.MaskRoIs = 0
			for _, s := range out.RoI.Sampled {
				r.MaskRoIs += len(s.Foreground())
			}
			opt.ZeroGrad()
			out.Losses.Total().Backward()
			_, err = opt.Step()
			return err
		}
	case "infer":
		step = func() error {
			dets, err := m.Predict(images)
			if err == nil {
				r.Dets = dets[0].Len()
				r.MaskRoIs = r.Dets
			}
			return err
		}
	default:
		return r, fmt.Errorf("unknown mode %q", mode)
	}
	now := func() float64 {
		if cpu {
			return cpuSeconds()
		}
		return float64(time.Now().UnixNano()) / 1e9
	}
	for i := range warmup + steps {
		t0 := now()
		if err := step(); err != nil {
			return r, err
		}
		if i >= warmup {
			r.Steps = append(r.Steps, now()-t0)
		}
	}
	r.PeakRSSKB = vmHWM()
	return r, nil
}

// cpuSeconds is the process's CPU time (user + system, all threads).
func cpuSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
}

// vmHWM is the process's peak resident set in KiB.
func vmHWM() int {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			n, _ := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")))
			return n
		}
	}
	return 0
}

func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "load unknown"
	}
	f := strings.Fields(string(b))
	return "load average " + strings.Join(f[:3], " ")
}
