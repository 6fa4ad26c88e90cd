package coco

import (
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gcdet/gcdet/coco/mask"
)

// aspectDataset has n images, alternately landscape and portrait, with no
// files (for sampler tests).
func aspectDataset(n int) *Dataset {
	f := &File{Categories: []Category{{ID: 1, Name: "a"}}}
	for i := 0; i < n; i++ {
		w, h := 60, 40
		if i%3 == 0 {
			w, h = 40, 60
		}
		f.Images = append(f.Images, Image{ID: int64(i + 1), Width: w, Height: h})
	}
	return NewDataset(f)
}

func allImages(n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = i
	}
	return out
}

func TestSamplerEpochsAndGrouping(t *testing.T) {
	d := aspectDataset(10)
	s, err := NewSampler(d, allImages(10), SamplerConfig{Seed: 3, BatchSize: 2, Shuffle: true, Infinite: true, GroupByAspect: true})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[int]int{}
	var seqs []uint64
	for b := 0; b < 50; b++ {
		batch, ok := s.Next()
		if !ok || len(batch) != 2 {
			t.Fatalf("batch %d: %v %v", b, batch, ok)
		}
		l0 := d.Images[batch[0].Index].Width > d.Images[batch[0].Index].Height
		l1 := d.Images[batch[1].Index].Width > d.Images[batch[1].Index].Height
		if l0 != l1 {
			t.Fatalf("batch %v mixes aspect groups", batch)
		}
		for _, dr := range batch {
			seen[dr.Index]++
			seqs = append(seqs, dr.Seq)
		}
	}
	if len(seen) != 10 {
		t.Fatalf("saw %d distinct images", len(seen))
	}
	// Draw numbers are unique.
	u := map[uint64]bool{}
	for _, q := range seqs {
		if u[q] {
			t.Fatalf("draw %d repeated", q)
		}
		u[q] = true
	}
	// Each epoch is a permutation: first 10 draws of a fresh sampler.
	s2, _ := NewSampler(d, allImages(10), SamplerConfig{Seed: 3, BatchSize: 1, Shuffle: true, Infinite: true})
	ep := map[int]bool{}
	for k := 0; k < 10; k++ {
		b, _ := s2.Next()
		ep[b[0].Index] = true
	}
	if len(ep) != 10 {
		t.Fatalf("epoch is not a permutation: %v", ep)
	}
	s3, _ := NewSampler(d, allImages(10), SamplerConfig{Seed: 4, BatchSize: 1, Shuffle: true, Infinite: true})
	s4, _ := NewSampler(d, allImages(10), SamplerConfig{Seed: 3, BatchSize: 1, Shuffle: true, Infinite: true})
	same := true
	for k := 0; k < 10; k++ {
		a, _ := s3.Next()
		b, _ := s4.Next()
		same = same && a[0] == b[0]
	}
	if same {
		t.Fatal("seeds 3 and 4 give the same order")
	}
}

func TestSamplerRestore(t *testing.T) {
	d := aspectDataset(7)
	cfg := SamplerConfig{Seed: 11, BatchSize: 3, Shuffle: true, Infinite: true, GroupByAspect: true}
	a, _ := NewSampler(d, allImages(7), cfg)
	for k := 0; k < 5; k++ {
		a.Next()
	}
	st := a.State()
	var want [][]Draw
	for k := 0; k < 12; k++ {
		b, _ := a.Next()
		want = append(want, b)
	}
	b, _ := NewSampler(d, allImages(7), cfg)
	if err := b.Restore(st); err != nil {
		t.Fatal(err)
	}
	for k := 0; k < 12; k++ {
		got, _ := b.Next()
		if !reflect.DeepEqual(got, want[k]) {
			t.Fatalf("batch %d after restore: %v, want %v", k, got, want[k])
		}
	}
	if err := b.Restore(SamplerState{Pos: 99}); err == nil {
		t.Fatal("bad state accepted")
	}
	// A pending image the sampler does not hold (a checkpoint of another
	// data set) is an error, not a panic in a loader worker.
	if err := b.Restore(SamplerState{Pending: [2][]Draw{{{Index: 7}}}}); err == nil {
		t.Fatal("state with pending image position 7 of 7 accepted")
	}
	c, _ := NewSampler(d, []int{0, 1, 2}, cfg)
	if err := c.Restore(SamplerState{Pending: [2][]Draw{nil, {{Index: 5}}}}); err == nil {
		t.Fatal("state with a pending image outside the sampled ones accepted")
	}
}

func TestSamplerFinite(t *testing.T) {
	d := aspectDataset(7)
	s, _ := NewSampler(d, allImages(7), SamplerConfig{BatchSize: 2, GroupByAspect: true})
	var got []int
	for {
		b, ok := s.Next()
		if !ok {
			break
		}
		for _, dr := range b {
			got = append(got, dr.Index)
		}
	}
	if len(got) != 7 {
		t.Fatalf("finite pass yielded %v", got)
	}
	if _, ok := s.Next(); ok {
		t.Fatal("exhausted sampler yielded")
	}
}

// smallTransform keeps loader tests fast.
func smallTransform() TransformConfig {
	return TransformConfig{MinSizes: []int{64, 80, 96}, MaxSize: 128, FlipProb: 0.5, Pixels: Detectron2Pixels()}
}

func miniLoaderConfig(workers int) LoaderConfig {
	return LoaderConfig{Train: true, FilterEmpty: true, BatchSize: 2, Seed: 5, Workers: workers, Prefetch: 2,
		SizeDivisibility: 32, Transform: smallTransform(), Masks: true, GroupByAspect: false}
}

func collect(t *testing.T, l *Loader, n int) []*Batch {
	t.Helper()
	var out []*Batch
	for k := 0; k < n; k++ {
		b, err := l.Next()
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, b)
	}
	return out
}

func TestLoaderDeterministicAcrossWorkers(t *testing.T) {
	d := loadMini(t)
	l1, err := NewLoader(context.Background(), d, miniLoaderConfig(1))
	if err != nil {
		t.Fatal(err)
	}
	defer l1.Close()
	l3, err := NewLoader(context.Background(), d, miniLoaderConfig(3))
	if err != nil {
		t.Fatal(err)
	}
	defer l3.Close()
	a, b := collect(t, l1, 6), collect(t, l3, 6)
	flips := 0
	for k := range a {
		if !reflect.DeepEqual(a[k], b[k]) {
			t.Fatalf("batch %d differs between 1 and 3 workers", k)
		}
		if a[k].H%32 != 0 || a[k].W%32 != 0 || a[k].N != 2 {
			t.Fatalf("batch %d is %dx%dx%d", k, a[k].N, a[k].H, a[k].W)
		}
		for _, s := range a[k].Samples {
			if s.Flip {
				flips++
			}
			if min(s.W, s.H) != 64 && min(s.W, s.H) != 80 && min(s.W, s.H) != 96 && max(s.W, s.H) != 128 {
				t.Fatalf("sample %d resized to %dx%d", s.ImageID, s.W, s.H)
			}
			checkSample(t, d, s)
		}
	}
	if flips == 0 || flips == 12 {
		t.Fatalf("%d of 12 samples flipped", flips)
	}
}

// checkSample compares a sample's boxes and polygons with the JSON through
// its geometry.
func checkSample(t *testing.T, d *Dataset, s *Sample) {
	t.Helper()
	if len(s.Boxes) != len(s.Labels) || len(s.Boxes) != len(s.Crowd) || len(s.Boxes) != len(s.AnnIDs) || len(s.Masks) != len(s.Boxes) {
		t.Fatalf("image %d: ragged instances", s.ImageID)
	}
	for k, aid := range s.AnnIDs {
		ai, _ := d.AnnotationIndex(aid)
		a := d.Annotations[ai]
		want := s.Geometry.Box(XYWHToXYXY(a.BBox))
		for c := 0; c < 4; c++ {
			if diff := float64(s.Boxes[k][c]) - want[c]; diff > 1e-3 || diff < -1e-3 {
				t.Fatalf("annotation %d box %v, want %v", aid, s.Boxes[k], want)
			}
		}
		if s.Boxes[k][0] < 0 || s.Boxes[k][2] > float32(s.W) || s.Boxes[k][1] < 0 || s.Boxes[k][3] > float32(s.H) {
			t.Fatalf("annotation %d box %v outside %dx%d", aid, s.Boxes[k], s.W, s.H)
		}
		if l, _ := d.Label(a.CategoryID); int32(l) != s.Labels[k] {
			t.Fatalf("annotation %d label %d want %d", aid, s.Labels[k], l)
		}
		if s.Crowd[k] != (a.IsCrowd == 1) {
			t.Fatalf("annotation %d crowd flag", aid)
		}
		if !a.Segmentation.IsRLE {
			for j, p := range a.Segmentation.Polygons {
				q := s.Masks[k].Polygons[j]
				for v := 0; v < len(p); v += 2 {
					x, y := s.Geometry.Point(p[v], p[v+1])
					if q[v] != x || q[v+1] != y {
						t.Fatalf("annotation %d polygon vertex %d", aid, v/2)
					}
				}
			}
		}
	}
}

func TestLoaderResume(t *testing.T) {
	d := loadMini(t)
	cfg := miniLoaderConfig(2)
	l, err := NewLoader(context.Background(), d, cfg)
	if err != nil {
		t.Fatal(err)
	}
	collect(t, l, 3)
	st := l.State()
	want := collect(t, l, 4)
	l.Close()
	cfg.Resume = &st
	l2, err := NewLoader(context.Background(), d, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer l2.Close()
	got := collect(t, l2, 4)
	if !reflect.DeepEqual(got, want) {
		t.Fatal("resumed loader differs")
	}
}

func TestLoaderFinitePass(t *testing.T) {
	d := loadMini(t)
	cfg := TestLoaderConfig()
	cfg.Transform = smallTransform()
	cfg.Transform.FlipProb = 0
	cfg.BatchSize = 2
	l, err := NewLoader(context.Background(), d, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	var ids []int64
	for {
		b, err := l.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range b.Samples {
			ids = append(ids, s.ImageID)
		}
	}
	want := []int64{d.Images[0].ID, d.Images[1].ID, d.Images[2].ID}
	if !reflect.DeepEqual(ids, want) {
		t.Fatalf("finite pass ids %v, want %v", ids, want)
	}
	if _, err := l.Next(); err != io.EOF {
		t.Fatalf("after end: %v", err)
	}
}

// badDataset has the mini images plus a missing one and a corrupt one, and
// an annotation with a degenerate box.
func badDataset(t *testing.T) *Dataset {
	dir := t.TempDir()
	d := loadMini(t)
	for _, im := range d.Images {
		copyFile(t, filepath.Join(miniImages, im.FileName), filepath.Join(dir, im.FileName))
	}
	copyFile(t, "testdata/formats/truncated.jpg", filepath.Join(dir, "corrupt.jpg"))
	f := d.File
	f.Images = append(append([]Image(nil), f.Images...),
		Image{ID: 900, FileName: "missing.jpg", Width: 64, Height: 48},
		Image{ID: 901, FileName: "corrupt.jpg", Width: 64, Height: 48})
	f.Annotations = append(append([]Annotation(nil), f.Annotations...),
		Annotation{ID: 9000, ImageID: 900, CategoryID: 1, BBox: []float64{1, 1, 5, 5}},
		Annotation{ID: 9001, ImageID: 901, CategoryID: 1, BBox: []float64{1, 1, 5, 5}},
		Annotation{ID: 9002, ImageID: d.Images[0].ID, CategoryID: 1, BBox: []float64{1, 1, -5, 5}})
	bd := NewDataset(&f)
	bd.ImageDir = dir
	return bd
}

func TestLoaderSkipBad(t *testing.T) {
	d := badDataset(t)
	cfg := TestLoaderConfig()
	cfg.Transform = smallTransform()
	cfg.SkipBad = true
	var mu sync.Mutex
	var logged []string
	cfg.Log = func(err error) { mu.Lock(); logged = append(logged, err.Error()); mu.Unlock() }
	l, err := NewLoader(context.Background(), d, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	n := 0
	for {
		b, err := l.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		n += b.N
	}
	if n != 3 {
		t.Fatalf("%d samples, want the 3 good ones", n)
	}
	all := strings.Join(logged, "\n")
	for _, want := range []string{"image 900 (missing.jpg)", "image 901 (corrupt.jpg)", "annotation 9002"} {
		if !strings.Contains(all, want) {
			t.Errorf("log lacks %q:\n%s", want, all)
		}
	}
}

func TestLoaderFailsOnBad(t *testing.T) {
	d := badDataset(t)
	cfg := TestLoaderConfig()
	cfg.Transform = smallTransform()
	l, err := NewLoader(context.Background(), d, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	_, err = l.Next() // image 0 carries the degenerate annotation 9002
	if err == nil || !strings.Contains(err.Error(), "annotation 9002") {
		t.Fatalf("err %v", err)
	}
	if _, err2 := l.Next(); err2 != err {
		t.Fatalf("error not sticky: %v", err2)
	}
}

func TestLoaderNoGoroutineLeak(t *testing.T) {
	d := loadMini(t)
	before := runtime.NumGoroutine()
	for _, stopAfter := range []int{0, 1, 3} {
		l, err := NewLoader(context.Background(), d, miniLoaderConfig(3))
		if err != nil {
			t.Fatal(err)
		}
		collect(t, l, stopAfter)
		l.Close()
		if _, err := l.Next(); !errors.Is(err, ErrClosed) {
			t.Fatalf("Next after Close: %v", err)
		}
	}
	// Parent context cancelled while the consumer waits.
	ctx, cancel := context.WithCancel(context.Background())
	l, err := NewLoader(ctx, d, miniLoaderConfig(2))
	if err != nil {
		t.Fatal(err)
	}
	collect(t, l, 1)
	cancel()
	for {
		if _, err := l.Next(); err != nil {
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("after cancel: %v", err)
			}
			break
		}
	}
	l.Close()
	waitGoroutines(t, before)
}

func waitGoroutines(t *testing.T, want int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > want {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<16)
			t.Fatalf("%d goroutines, want %d:\n%s", runtime.NumGoroutine(), want, buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestSampleDeterministic(t *testing.T) {
	d := loadMini(t)
	tc := smallTransform()
	a, _, err := d.Sample(1, tc, SampleOptions{Masks: true, Strict: true}, rand.New(rand.NewPCG(1, 2)))
	if err != nil {
		t.Fatal(err)
	}
	b, _, _ := d.Sample(1, tc, SampleOptions{Masks: true, Strict: true}, rand.New(rand.NewPCG(1, 2)))
	if !reflect.DeepEqual(a, b) {
		t.Fatal("same rng, different samples")
	}
	if a.OrigW != d.Images[1].Width || a.OrigH != d.Images[1].Height || len(a.Image) != 3*a.W*a.H {
		t.Fatalf("geometry %+v", a.Geometry)
	}
	// A size mismatch between file and JSON is an error naming the image.
	f := d.File
	f.Images = append([]Image(nil), f.Images...)
	f.Images[1].Width++
	bad := NewDataset(&f)
	bad.ImageDir = miniImages
	if _, _, err := bad.Sample(1, tc, SampleOptions{}, rand.New(rand.NewPCG(1, 2))); err == nil || !strings.Contains(err.Error(), "JSON says") {
		t.Fatalf("size mismatch: %v", err)
	}
	_ = os.Remove
}

func TestLoaderAllBadEnds(t *testing.T) {
	d := badDataset(t)
	cfg := miniLoaderConfig(2)
	cfg.Images = []int{3, 4} // the missing and the corrupt image
	cfg.SkipBad = true
	l, err := NewLoader(context.Background(), d, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if _, err := l.Next(); err == nil || !strings.Contains(err.Error(), "in a row failed") {
		t.Fatalf("endless stream of bad images: %v", err)
	}
}

func TestDropCrowd(t *testing.T) {
	d := loadMini(t)
	i, _ := d.ImageIndex(643) // has the crowd annotation
	tc := smallTransform()
	all, _, err := d.Sample(i, tc, SampleOptions{Masks: true, Strict: true}, rand.New(rand.NewPCG(1, 1)))
	if err != nil {
		t.Fatal(err)
	}
	noCrowd, _, err := d.Sample(i, tc, SampleOptions{Masks: true, Strict: true, DropCrowd: true}, rand.New(rand.NewPCG(1, 1)))
	if err != nil {
		t.Fatal(err)
	}
	crowd := 0
	for k, c := range all.Crowd {
		if c {
			crowd++
			if all.Masks[k].Bitmap == nil || len(all.Masks[k].Bitmap) != all.W*all.H {
				t.Fatal("crowd RLE mask not resized to the input")
			}
		}
	}
	if crowd != 1 || len(noCrowd.Boxes) != len(all.Boxes)-1 {
		t.Fatalf("crowd %d, %d boxes without crowd of %d", crowd, len(noCrowd.Boxes), len(all.Boxes))
	}
	for _, c := range noCrowd.Crowd {
		if c {
			t.Fatal("crowd kept")
		}
	}
}

// TestBitmapAndPolygonAgree converts every polygon of an image to an RLE
// segmentation and checks that the transformed bitmaps match the
// transformed polygons (resize and flip applied the same way to both).
func TestBitmapAndPolygonAgree(t *testing.T) {
	d := loadMini(t)
	i, _ := d.ImageIndex(536)
	im := d.Images[i]
	f := d.File
	f.Annotations = append([]Annotation(nil), f.Annotations...)
	for _, ai := range d.ImageAnnotations(i) {
		a := f.Annotations[ai]
		r, err := mask.FrPolygons(a.Segmentation.Polygons, im.Height, im.Width)
		if err != nil {
			t.Fatal(err)
		}
		a.Segmentation = &Segmentation{IsRLE: true, Size: []int{im.Height, im.Width}, CountsString: r.Compressed()}
		f.Annotations[ai] = a
	}
	rd := NewDataset(&f)
	rd.ImageDir = miniImages
	for _, flip := range []float64{0, 1} {
		tc := TransformConfig{MinSizes: []int{200}, MaxSize: 1000, FlipProb: flip, Pixels: Detectron2Pixels()}
		ps, _, err := d.Sample(i, tc, SampleOptions{Masks: true, Strict: true}, rand.New(rand.NewPCG(1, 1)))
		if err != nil {
			t.Fatal(err)
		}
		bs, _, err := rd.Sample(i, tc, SampleOptions{Masks: true, Strict: true}, rand.New(rand.NewPCG(1, 1)))
		if err != nil {
			t.Fatal(err)
		}
		for k := range ps.Masks {
			pr, err := ps.Masks[k].RLE(ps.H, ps.W)
			if err != nil {
				t.Fatal(err)
			}
			br, err := bs.Masks[k].RLE(bs.H, bs.W)
			if err != nil {
				t.Fatal(err)
			}
			iou, _ := mask.IoU([]mask.RLE{pr}, []mask.RLE{br}, nil)
			if pr.Area() > 50 && iou[0] < 0.8 {
				t.Errorf("flip %v annotation %d: polygon vs bitmap IoU %.3f (areas %d, %d)", flip, ps.AnnIDs[k], iou[0], pr.Area(), br.Area())
			}
		}
	}
}

func TestSampleTorchvisionMode(t *testing.T) {
	d := loadMini(t)
	tc := TorchvisionTrainTransform()
	tc.MinSizes, tc.MaxSize, tc.FlipProb = []int{100}, 200, 1
	for i := range d.Images {
		s, _, err := d.Sample(i, tc, SampleOptions{Masks: true, Strict: true}, rand.New(rand.NewPCG(2, uint64(i))))
		if err != nil {
			t.Fatal(err)
		}
		if h, w := TorchvisionSize(s.OrigH, s.OrigW, 100, 200); s.H != h || s.W != w || !s.Flip || s.Resize != ResizeTorchvision {
			t.Fatalf("image %d: geometry %+v", s.ImageID, s.Geometry)
		}
		checkSample(t, d, s)
	}
	if err := (TransformConfig{MinSizes: []int{1}, Pixels: TorchvisionPixels(), Resize: 7}).Validate(); err == nil {
		t.Fatal("unknown resize mode accepted")
	}
}
