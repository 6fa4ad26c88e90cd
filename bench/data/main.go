// Command data times gcdet's image pipeline (coco.Loader: JPEG decode,
// resize shortest edge 800 / max 1333, random horizontal flip, normalize to
// CHW float32) on a COCO folder against torchvision's transform pipeline on
// the same images (torchvision_pipeline.py beside this file), back to back,
// with 1 and 2 workers, and prints images per second and the ratio.
//
//	go run ./bench/data [--ann FILE --images DIR] [--workers 1,2] [--reps 5] [--python=false]
//
// With 1 worker, Go runs with GOMAXPROCS=1 and torch in-process with one
// thread; with 2, GOMAXPROCS=2 and a DataLoader with 2 worker processes.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/gcdet/gcdet/coco"
)

func main() {
	ann := flag.String("ann", "../shared/data/coco128/annotations/instances_train2017.json", "instances JSON")
	images := flag.String("images", "../shared/data/coco128/train2017", "image folder")
	workersList := flag.String("workers", "1,2", "worker counts to time")
	reps := flag.Int("reps", 5, "repetitions (passes over the folder) per setting")
	python := flag.Bool("python", true, "also time torchvision (needs /usr/bin/python3 with torch)")
	pixels := flag.String("pixels", "torchvision", "pixel format: torchvision (RGB, ImageNet mean/std, as the Python side) or detectron2")
	flag.Parse()

	d, err := coco.LoadFile(*ann, *images)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	load, _ := os.ReadFile("/proc/loadavg")
	fmt.Printf("%d images from %s; load average at start: %s", len(d.Images), *images, load)
	fmt.Printf("%-8s %-12s %-34s %s\n", "workers", "impl", "images/s per pass", "median")
	for _, ws := range strings.Split(*workersList, ",") {
		w, err := strconv.Atoi(strings.TrimSpace(ws))
		if err != nil || w < 1 {
			fmt.Fprintf(os.Stderr, "bad worker count %q\n", ws)
			os.Exit(2)
		}
		// Alternate the two sides pass by pass so that load drifts hit both.
		var goRates, pyRates, goCPU, pyCPU []float64
		var pyErr error
		for r := 0; r < *reps; r++ {
			gr, gc := timeGo(d, w, *pixels)
			goRates, goCPU = append(goRates, gr), append(goCPU, gc)
			if *python && pyErr == nil {
				var pr, pc []float64
				pr, pc, pyErr = timePython(*images, w, 1)
				pyRates, pyCPU = append(pyRates, pr...), append(pyCPU, pc...)
			}
		}
		if w == 1 {
			// With one worker all work is in one process: CPU time per image
			// is far less sensitive to other load than wall time.
			fmt.Printf("%-8d %-12s CPU ms/image: gcdet %.1f, torchvision %.1f (medians)\n", w, "", median(goCPU), median(pyCPU))
		}
		goMed := median(goRates)
		fmt.Printf("%-8d %-12s %-34s %.1f\n", w, "gcdet", fmtRates(goRates), goMed)
		if pyErr != nil {
			fmt.Fprintln(os.Stderr, "torchvision:", pyErr)
		} else if *python {
			pyMed := median(pyRates)
			fmt.Printf("%-8d %-12s %-34s %.1f   (gcdet/torchvision = %.2fx)\n", w, "torchvision", fmtRates(pyRates), pyMed, goMed/pyMed)
		}
	}
	load, _ = os.ReadFile("/proc/loadavg")
	fmt.Printf("load average at end: %s", load)
}

// timeGo runs one pass and returns images per second and CPU ms per image.
func timeGo(d *coco.Dataset, workers int, pixels string) (rate, cpuMS float64) {
	prev := runtime.GOMAXPROCS(workers)
	defer runtime.GOMAXPROCS(prev)
	cfg := coco.TestLoaderConfig()
	cfg.Images = make([]int, len(d.Images))
	for i := range cfg.Images {
		cfg.Images[i] = i
	}
	cfg.Workers = workers
	cfg.Prefetch = 2
	cfg.SizeDivisibility = 1
	cfg.Transform = coco.TransformConfig{MinSizes: []int{800}, MaxSize: 1333, FlipProb: 0.5, Pixels: coco.TorchvisionPixels()}
	if pixels == "detectron2" {
		cfg.Transform.Pixels = coco.Detectron2Pixels()
	}
	cfg.Seed = uint64(time.Now().UnixNano())
	c0, start := cpuTime(), time.Now()
	l, err := coco.NewLoader(context.Background(), d, cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	n := 0
	for {
		b, err := l.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		n += b.N
	}
	l.Close()
	return float64(n) / time.Since(start).Seconds(), (cpuTime() - c0).Seconds() * 1000 / float64(n)
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func timePython(images string, workers, reps int) (rates, cpuMS []float64, err error) {
	cmd := exec.Command("/usr/bin/python3", "bench/data/torchvision_pipeline.py", "--images", images,
		"--workers", strconv.Itoa(workers), "--reps", strconv.Itoa(reps))
	cmd.Env = append(os.Environ(), "OPENBLAS_NUM_THREADS=2", "OMP_NUM_THREADS=1")
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		return nil, nil, fmt.Errorf("%v: %s", err, errb.String())
	}
	var res struct {
		Rates []float64 `json:"images_per_s"`
		CPU   []float64 `json:"cpu_ms_per_image"`
	}
	if err := json.Unmarshal(out.Bytes(), &res); err != nil {
		return nil, nil, fmt.Errorf("%v: %s", err, out.String())
	}
	return res.Rates, res.CPU, nil
}

func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func fmtRates(v []float64) string {
	parts := make([]string, len(v))
	for i, r := range v {
		parts[i] = fmt.Sprintf("%.1f", r)
	}
	return strings.Join(parts, " ")
}
