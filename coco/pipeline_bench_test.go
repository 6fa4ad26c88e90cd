package coco

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// BenchmarkPipelineCoco128 times decode + resize (800/1333) + flip +
// normalize through the loader on ../shared/data/coco128 (skipped when
// absent); ns/op is per image. bench/data compares it with torchvision.
func BenchmarkPipelineCoco128(b *testing.B) {
	ann := filepath.Join(sharedData, "coco128/annotations/instances_train2017.json")
	if _, err := os.Stat(ann); err != nil {
		b.Skip("coco128 not present")
	}
	d, err := LoadFile(ann, filepath.Join(sharedData, "coco128/train2017"))
	if err != nil {
		b.Fatal(err)
	}
	for _, workers := range []int{1, 2} {
		b.Run(map[int]string{1: "workers=1", 2: "workers=2"}[workers], func(b *testing.B) {
			prev := runtime.GOMAXPROCS(workers)
			defer runtime.GOMAXPROCS(prev)
			cfg := TestLoaderConfig()
			cfg.Workers = workers
			cfg.SizeDivisibility = 1
			cfg.Transform = TransformConfig{MinSizes: []int{800}, MaxSize: 1333, FlipProb: 0.5, Pixels: TorchvisionPixels()}
			cfg.Images = make([]int, b.N)
			for i := range cfg.Images {
				cfg.Images[i] = i % len(d.Images)
			}
			b.ResetTimer()
			l, err := NewLoader(context.Background(), d, cfg)
			if err != nil {
				b.Fatal(err)
			}
			defer l.Close()
			for {
				if _, err := l.Next(); err == io.EOF {
					break
				} else if err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "images/s")
		})
	}
}

// BenchmarkDecodeJPEG and BenchmarkResize split the per-image cost.
func BenchmarkDecodeJPEG(b *testing.B) {
	buf, err := os.ReadFile(filepath.Join(miniImages, "000000000643.jpg"))
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(buf)))
	for i := 0; i < b.N; i++ {
		if _, err := DecodeImage(buf); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkResize(b *testing.B) {
	im, err := ReadImage(filepath.Join(miniImages, "000000000643.jpg")) // 500x375
	if err != nil {
		b.Fatal(err)
	}
	nh, nw := ShortestEdgeSize(im.H, im.W, 800, 1333)
	dst := make([]float32, 3*nh*nw)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		ResizeToCHW(im, nw, nh, i%2 == 0, TorchvisionPixels(), dst)
	}
}
