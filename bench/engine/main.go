// Command engine benchmarks gcdet's convolution engine against PyTorch on
// the same machine, back to back, and prints the ratios (see
// ../README.md for recorded figures).
//
// Workloads (a step is forward, mean, backward with the gradients of the
// input and of every parameter):
//
//	conv        one 3x3 conv 64->64, padding 1, on 1x64x128x128
//	bottleneck  ResNet-50 bottleneck with identity shortcut on 1x256x56x56:
//	            1x1 256->64, 3x3 64->64, 1x1 64->256, training-mode batch
//	            norm after each, relu, + x, relu
//
// Each variant runs in a child process (this binary with -child), so its
// peak resident memory (VmHWM) is its own; PyTorch runs torch_bench.py with
// OPENBLAS_NUM_THREADS=2 (-threads sets both sides' thread count; on a
// loaded machine -threads 1 compares more steadily). Variants: default (the engine's own choice), im2col
// (im2col + Sgemm, OpenBLAS when present), noblas (GCDET_BLAS=off),
// memlimit (default with GOMEMLIMIT at 1.2x the step's tensors + 4 MiB
// for the runtime, which makes the collector run as often as needed),
// gcstep (collector off during a step, a full collection between steps: the
// peak is then everything one step allocates, as if garbage were freed at
// once; not timed fairly, the collections are outside the timer), nopool
// (GCDET_TENSOR_POOL=off: the tape's dead gradient buffers are not
// recycled), gogcN (default with GOGC=N, e.g. gogc25: a collector that runs
// more often).
//
// Besides wall time each side reports the process CPU time per step (user +
// sys of all its threads: getrusage for ours, time.process_time for
// PyTorch), which other load on the machine distorts much less.
//
//	go run ./bench/engine -reps 15 -rounds 3
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
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/gcdet/gcdet/tensor"
	"github.com/gcdet/gcdet/tensor/cpu"
)

type result struct {
	Side         string  `json:"side"`
	Workload     string  `json:"workload"`
	Variant      string  `json:"variant,omitempty"`
	Engine       string  `json:"engine,omitempty"`
	Reps         int     `json:"reps"`
	MedianMs     float64 `json:"median_ms"`
	BestMs       float64 `json:"best_ms"`
	GFlopsMedian float64 `json:"gflops_median"`
	CPUMsMedian  float64 `json:"cpu_ms_median"` // process CPU time (user+sys, all threads) per step
	CPUMsBest    float64 `json:"cpu_ms_best"`
	PeakRSSKB    int     `json:"peak_rss_kb"`
	PeakMaxKB    int     `json:"peak_max_kb,omitempty"` // highest peak over rounds (PeakRSSKB is their median)
	BaseRSSKB    int     `json:"base_rss_kb"`
	HoldBytes    int     `json:"hold_bytes,omitempty"`
}

func main() {
	workloads := flag.String("workload", "conv,bottleneck", "comma-separated workloads: conv, bottleneck")
	variants := flag.String("variants", "default,im2col,noblas,memlimit,gcstep", "comma-separated variants of ours")
	reps := flag.Int("reps", 15, "timed steps per run (after 2 warm-up steps)")
	threads := flag.Int("threads", 2, "threads for both sides (GCDET_THREADS; torch.set_num_threads and OPENBLAS_NUM_THREADS)")
	python := flag.String("python", "/usr/bin/python3", "Python with torch; empty skips PyTorch")
	rounds := flag.Int("rounds", 1, "alternating rounds of PyTorch and our variants")
	child := flag.String("child", "", "internal: run one workload in this process and print JSON")
	flag.Parse()
	if *child != "" {
		r := runChild(*child, *reps)
		json.NewEncoder(os.Stdout).Encode(r)
		return
	}
	fmt.Printf("machine: %d CPUs, GOMAXPROCS %d, %d threads per side, %s\n", runtime.NumCPU(), runtime.GOMAXPROCS(0), *threads, loadAvg())
	os.Setenv("GCDET_THREADS", strconv.Itoa(*threads))
	for _, w := range strings.Split(*workloads, ",") {
		// Rounds alternate PyTorch and our variants so that drifting load
		// hits both sides alike; each side's figures are then the median
		// of its round medians and the best of its bests.
		all := map[string][]result{}
		var order []string
		add := func(key string, r result) {
			if _, ok := all[key]; !ok {
				order = append(order, key)
			}
			all[key] = append(all[key], r)
		}
		for round := 0; round < *rounds; round++ {
			if *python != "" {
				r, err := runTorch(*python, w, *reps, *threads)
				if err != nil {
					fmt.Fprintf(os.Stderr, "torch %s: %v\n", w, err)
				} else {
					add("torch", r)
				}
			}
			for _, v := range strings.Split(*variants, ",") {
				r, err := runOurs(w, v, *reps)
				if err != nil {
					fmt.Fprintf(os.Stderr, "gcdet %s/%s: %v\n", w, v, err)
					continue
				}
				add(v, r)
			}
		}
		var torch *result
		if rs, ok := all["torch"]; ok {
			t := combine(rs)
			torch = &t
		}
		for _, key := range order {
			r := combine(all[key])
			if key == "torch" {
				print(r, nil)
			} else {
				print(r, torch)
			}
		}
		fmt.Printf("  (%s)\n", loadAvg())
	}
}

// combine merges the rounds of one side: median of the medians, best of
// the bests, median and highest peak (the peak swings with the collector's
// timing from run to run).
func combine(rs []result) result {
	r := rs[0]
	meds := make([]float64, len(rs))
	cpus := make([]float64, len(rs))
	peaks := make([]int, len(rs))
	for i, x := range rs {
		peaks[i] = x.PeakRSSKB - x.BaseRSSKB
		meds[i] = x.MedianMs
		cpus[i] = x.CPUMsMedian
		r.BestMs = min(r.BestMs, x.BestMs)
		r.CPUMsBest = min(r.CPUMsBest, x.CPUMsBest)
	}
	sort.Float64s(meds)
	sort.Float64s(cpus)
	sort.Ints(peaks)
	r.BaseRSSKB = 0
	r.PeakRSSKB, r.PeakMaxKB = peaks[len(peaks)/2], peaks[len(peaks)-1]
	med := meds[len(meds)/2]
	r.CPUMsMedian = cpus[len(cpus)/2]
	r.GFlopsMedian *= r.MedianMs / med
	r.MedianMs = med
	r.Reps *= len(rs)
	return r
}

func print(r result, torch *result) {
	line := fmt.Sprintf("%-11s %-18s %-9s median %7.1f ms  best %7.1f ms  cpu %7.1f ms (best %6.1f)  %6.1f GFLOP/s  peak %6.1f MiB over base",
		r.Workload, r.Side, r.Variant, r.MedianMs, r.BestMs, r.CPUMsMedian, r.CPUMsBest, r.GFlopsMedian, float64(r.PeakRSSKB-r.BaseRSSKB)/1024)
	if r.PeakMaxKB > r.PeakRSSKB {
		line += fmt.Sprintf(" (max %.1f)", float64(r.PeakMaxKB)/1024)
	}
	if r.HoldBytes > 0 {
		line += fmt.Sprintf(" (%.2fx the %.1f MiB of tensors)", float64(r.PeakRSSKB-r.BaseRSSKB)*1024/float64(r.HoldBytes), float64(r.HoldBytes)/(1<<20))
	}
	if torch != nil {
		line += fmt.Sprintf("  speed vs torch %.2fx (best %.2fx, cpu %.2fx)", torch.MedianMs/r.MedianMs, torch.BestMs/r.BestMs, torch.CPUMsMedian/r.CPUMsMedian)
	}
	fmt.Println(line)
	if r.Engine != "" {
		fmt.Printf("            engine: %s\n", r.Engine)
	}
}

func runTorch(python, w string, reps, threads int) (result, error) {
	script := filepath.Join(sourceDir(), "torch_bench.py")
	cmd := exec.Command(python, script, w, strconv.Itoa(reps), strconv.Itoa(threads))
	t := strconv.Itoa(threads)
	cmd.Env = append(os.Environ(), "OPENBLAS_NUM_THREADS="+t, "OMP_NUM_THREADS="+t)
	return runJSON(cmd)
}

func runOurs(w, variant string, reps int) (result, error) {
	self, err := os.Executable()
	if err != nil {
		return result{}, err
	}
	cmd := exec.Command(self, "-child", w, "-reps", strconv.Itoa(reps))
	env := os.Environ()
	switch variant {
	case "default":
	case "im2col":
		env = append(env, "GCDET_CONV=im2col")
	case "noblas":
		env = append(env, "GCDET_BLAS=off")
	case "memlimit":
		hold := holdBytes(w)
		env = append(env, fmt.Sprintf("GOMEMLIMIT=%d", int(1.2*float64(hold))+4<<20))
	case "gcstep":
		env = append(env, "GOGC=off", "GCDET_BENCH_GCSTEP=1")
	case "nopool":
		env = append(env, "GCDET_TENSOR_POOL=off")
	default:
		n, ok := strings.CutPrefix(variant, "gogc")
		if _, err := strconv.Atoi(n); !ok || err != nil {
			return result{}, fmt.Errorf("unknown variant %q", variant)
		}
		env = append(env, "GOGC="+n)
	}
	cmd.Env = env
	r, err := runJSON(cmd)
	r.Variant = variant
	return r, err
}

func runJSON(cmd *exec.Cmd) (result, error) {
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		return result{}, fmt.Errorf("%v: %s", err, errb.String())
	}
	var r result
	err := json.Unmarshal(out.Bytes(), &r)
	return r, err
}

// sourceDir is the folder of this program's sources (for torch_bench.py).
func sourceDir() string {
	if _, err := os.Stat("bench/engine/torch_bench.py"); err == nil {
		return "bench/engine"
	}
	if _, err := os.Stat("torch_bench.py"); err == nil {
		return "."
	}
	return "bench/engine"
}

// runChild times one workload in this process.
func runChild(w string, reps int) result {
	cpu.SetLogHook(nil)
	base := statusKB("VmRSS")
	var step func()
	var flop float64
	rng := rand.New(rand.NewPCG(1, 2))
	switch w {
	case "conv":
		const C, H, W = 64, 128, 128
		x := randn(rng, true, 1, C, H, W)
		wt := randn(rng, true, C, C, 3, 3)
		dy := meanGrad(1, C, H, W)
		step = func() {
			x.Grad, wt.Grad = nil, nil
			tensor.Conv2d(x, wt, nil, tensor.ConvOpts{Padding: [2]int{1, 1}}).BackwardWith(dy)
		}
		flop = 3 * 2.0 * C * C * 9 * H * W
	case "bottleneck":
		const C, M, H, W = 256, 64, 56, 56
		b := newBottleneck(rng, C, M)
		x := randn(rng, true, 1, C, H, W)
		dy := meanGrad(1, C, H, W)
		step = func() {
			x.Grad = nil
			for _, p := range b.params() {
				p.Grad = nil
			}
			b.forward(x).BackwardWith(dy)
		}
		flop = 3 * 2.0 * (C*M + M*M*9 + M*C) * H * W
	default:
		fmt.Fprintf(os.Stderr, "unknown workload %q\n", w)
		os.Exit(2)
	}
	gcStep := os.Getenv("GCDET_BENCH_GCSTEP") != ""
	for i := 0; i < 2; i++ { // warm-up
		if gcStep {
			runtime.GC()
		}
		step()
	}
	ts := make([]float64, reps)
	cs := make([]float64, reps)
	for i := range ts {
		if gcStep {
			runtime.GC()
		}
		c := processCPU()
		t := time.Now()
		step()
		ts[i] = time.Since(t).Seconds()
		cs[i] = (processCPU() - c).Seconds()
	}
	peak := statusKB("VmHWM")
	sort.Float64s(ts)
	sort.Float64s(cs)
	med := ts[len(ts)/2]
	engine := cpu.BLASInfo()
	if cpu.ConvFused() {
		engine += "; conv: Go GEMM with fused im2col"
	} else {
		engine += "; conv: im2col + Sgemm"
	}
	return result{
		Side: "gcdet", Workload: w, Engine: engine, Reps: reps,
		MedianMs: med * 1e3, BestMs: ts[0] * 1e3, GFlopsMedian: flop / med / 1e9,
		CPUMsMedian: cs[len(cs)/2] * 1e3, CPUMsBest: cs[0] * 1e3,
		PeakRSSKB: peak, BaseRSSKB: base, HoldBytes: holdBytes(w),
	}
}

// meanGrad is the gradient of mean(y) with respect to y (1/n everywhere),
// made once: PyTorch's mean backward expands a scalar without storing it,
// so the step seeds backward with this tensor rather than allocating one.
func meanGrad(shape ...int) *tensor.Tensor {
	return tensor.Full(1/float32(tensor.Numel(shape)), shape...)
}

// holdBytes is the size of the tensors one step must hold at its peak: the
// input, parameters, every forward output the backward pass needs, the
// output gradient, and the gradients of input and parameters.
func holdBytes(w string) int {
	switch w {
	case "conv":
		const C, H, W = 64, 128, 128
		act, par := C*H*W, C*C*9
		return 4 * (act /*x*/ + par /*w*/ + act /*y*/ + act /*dy*/ + act /*dx*/ + par /*dw*/)
	case "bottleneck":
		const C, M, H, W = 256, 64, 56, 56
		hw := H * W
		par := M*C + M*M*9 + C*M + 2*(M+M+C)
		fwd := (6*M + 4*C) * hw // conv, bn, relu outputs of the two inner stages; conv, bn, add, relu of the last
		return 4 * (C*hw /*x*/ + 2*par + fwd + C*hw /*dy*/ + C*hw /*dx*/)
	}
	return 0
}

func statusKB(key string) int {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), key+":"); ok {
			fs := strings.Fields(rest)
			if len(fs) > 0 {
				n, _ := strconv.Atoi(fs[0])
				return n
			}
		}
	}
	return 0
}

func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "load average unknown"
	}
	fs := strings.Fields(string(b))
	if len(fs) < 3 {
		return "load average unknown"
	}
	return "load average " + strings.Join(fs[:3], " ")
}
