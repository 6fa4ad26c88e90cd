package coco

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
)

// LoaderConfig configures a Loader.
type LoaderConfig struct {
	// Images are the positions in Dataset.Images to load; nil means
	// Dataset.TrainImages(FilterEmpty).
	Images      []int
	FilterEmpty bool
	// Train gives an endless shuffled stream (epochs reshuffled from
	// Seed); otherwise one pass in order, the last batch possibly short.
	Train         bool
	BatchSize     int
	GroupByAspect bool
	Seed          uint64
	// Workers decode in parallel (>= 1); Prefetch bounds how many batches
	// are prepared ahead of the consumer (>= 1).
	Workers  int
	Prefetch int
	// SizeDivisibility pads batches to multiples of it (detectron2: 32).
	SizeDivisibility int
	Transform        TransformConfig
	Masks            bool
	// DropCrowd leaves iscrowd annotations out of the samples.
	DropCrowd bool
	// SkipBad leaves out unreadable images and unusable annotations,
	// reporting each through Log (called from Next, in batch order);
	// otherwise Next returns the first such error.
	SkipBad bool
	Log     func(error)
	// Resume continues from a state returned by Loader.State.
	Resume *SamplerState
}

// TrainLoaderConfig is detectron2's training setup (batch size as given,
// aspect grouping, images without usable non-crowd annotations filtered,
// crowd annotations dropped, 2 workers).
func TrainLoaderConfig(batchSize int, seed uint64) LoaderConfig {
	return LoaderConfig{FilterEmpty: true, Train: true, BatchSize: batchSize, GroupByAspect: true, Seed: seed,
		Workers: 2, Prefetch: 2, SizeDivisibility: 32, Transform: TrainTransform(), DropCrowd: true}
}

// TestLoaderConfig is one ordered pass over every image, batch size 1.
func TestLoaderConfig() LoaderConfig {
	return LoaderConfig{BatchSize: 1, Workers: 2, Prefetch: 2, SizeDivisibility: 32, Transform: TestTransform()}
}

// Loader decodes and transforms batches in background workers. Batches
// come out in sampler order whatever the number of workers, and each
// image's random augmentation is seeded by its draw number, so a run is
// reproducible and resumable. Close must be called to stop the workers.
type Loader struct {
	d       *Dataset
	cfg     LoaderConfig
	parent  context.Context
	ctx     context.Context
	cancel  context.CancelFunc
	wg      sync.WaitGroup
	ordered chan *pending
	jobs    chan job
	state   SamplerState
	err     error
	closed  atomic.Bool
	// failStreak counts consecutive failed samples; a whole pass of them
	// ends an endless (training) stream with an error.
	failStreak, nImages int
}

type pending struct {
	draws   []Draw
	samples []*Sample
	errs    []error
	dropped [][]error
	left    atomic.Int32
	done    chan struct{}
	state   SamplerState
	batch   *Batch
}

type job struct {
	p *pending
	k int
}

// NewLoader starts the loader's goroutines; they stop when ctx ends or
// Close is called.
func NewLoader(ctx context.Context, d *Dataset, cfg LoaderConfig) (*Loader, error) {
	if cfg.Workers < 1 || cfg.Prefetch < 1 {
		return nil, fmt.Errorf("loader: workers (%d) and prefetch (%d) must be >= 1", cfg.Workers, cfg.Prefetch)
	}
	if err := cfg.Transform.Validate(); err != nil {
		return nil, fmt.Errorf("loader: %w", err)
	}
	images := cfg.Images
	if images == nil {
		images = d.TrainImages(cfg.FilterEmpty)
	}
	s, err := NewSampler(d, images, SamplerConfig{Seed: cfg.Seed, BatchSize: cfg.BatchSize, Shuffle: cfg.Train,
		Infinite: cfg.Train, GroupByAspect: cfg.GroupByAspect})
	if err != nil {
		return nil, fmt.Errorf("loader: %w", err)
	}
	if cfg.Resume != nil {
		if err := s.Restore(*cfg.Resume); err != nil {
			return nil, fmt.Errorf("loader: %w", err)
		}
	}
	l := &Loader{d: d, cfg: cfg, ordered: make(chan *pending, cfg.Prefetch-1), jobs: make(chan job), state: s.State(), nImages: len(images)}
	l.parent = ctx
	l.ctx, l.cancel = context.WithCancel(ctx)
	l.wg.Add(1 + cfg.Workers)
	go l.produce(s)
	for w := 0; w < cfg.Workers; w++ {
		go l.work()
	}
	return l, nil
}

func (l *Loader) produce(s *Sampler) {
	defer l.wg.Done()
	defer close(l.jobs)
	defer close(l.ordered)
	for {
		draws, ok := s.Next()
		if !ok {
			return
		}
		p := &pending{draws: draws, samples: make([]*Sample, len(draws)), errs: make([]error, len(draws)),
			dropped: make([][]error, len(draws)), done: make(chan struct{}), state: s.State()}
		p.left.Store(int32(len(draws)))
		select {
		case l.ordered <- p:
		case <-l.ctx.Done():
			return
		}
		for k := range draws {
			select {
			case l.jobs <- job{p, k}:
			case <-l.ctx.Done():
				return
			}
		}
	}
}

func (l *Loader) work() {
	defer l.wg.Done()
	opts := SampleOptions{Masks: l.cfg.Masks, Strict: !l.cfg.SkipBad, DropCrowd: l.cfg.DropCrowd}
	for {
		var j job
		var ok bool
		select {
		case j, ok = <-l.jobs:
			if !ok {
				return
			}
		case <-l.ctx.Done():
			return
		}
		p := j.p
		dr := p.draws[j.k]
		p.samples[j.k], p.dropped[j.k], p.errs[j.k] = l.d.Sample(dr.Index, l.cfg.Transform, opts, drawRNG(l.cfg.Seed, dr.Seq))
		if p.left.Add(-1) == 0 {
			var ok []*Sample
			for _, s := range p.samples {
				if s != nil {
					ok = append(ok, s)
				}
			}
			if len(ok) > 0 {
				p.batch = Collate(ok, l.cfg.SizeDivisibility)
			}
			close(p.done)
		}
	}
}

// ErrClosed is returned by Next after Close.
var ErrClosed = errors.New("coco: loader closed")

// Next returns the next batch; io.EOF after the last one of a finite
// pass. With SkipBad a batch may hold fewer samples than the batch size
// (a batch whose images all failed is skipped). Call Next from one
// goroutine at a time.
func (l *Loader) Next() (*Batch, error) {
	for {
		if l.closed.Load() {
			return nil, ErrClosed
		}
		if l.err != nil {
			return nil, l.err
		}
		var p *pending
		var ok bool
		select {
		case p, ok = <-l.ordered:
			if !ok {
				if l.ctx.Err() != nil {
					return nil, l.stopErr()
				}
				return nil, io.EOF
			}
		case <-l.ctx.Done():
			return nil, l.stopErr()
		}
		select {
		case <-p.done:
		case <-l.ctx.Done():
			return nil, l.stopErr()
		}
		for k := range p.draws {
			if err := p.errs[k]; err != nil {
				if !l.cfg.SkipBad {
					l.err = err
					return nil, err
				}
				l.log(err)
				l.failStreak++
				if l.failStreak >= l.nImages {
					l.err = fmt.Errorf("coco: loader: %d images in a row failed to load; last: %w", l.failStreak, err)
					return nil, l.err
				}
			} else {
				l.failStreak = 0
			}
			for _, err := range p.dropped[k] {
				l.log(err)
			}
		}
		l.state = p.state
		if p.batch != nil {
			return p.batch, nil
		}
	}
}

func (l *Loader) stopErr() error {
	if l.err == nil {
		l.err = ErrClosed
		if err := l.parent.Err(); err != nil {
			l.err = err
		}
	}
	return l.err
}

func (l *Loader) log(err error) {
	if l.cfg.Log != nil {
		l.cfg.Log(err)
	}
}

// State is the sampler position after the last batch Next returned: give
// it as LoaderConfig.Resume to continue with the following batch.
func (l *Loader) State() SamplerState { return l.state.clone() }

// Close stops the goroutines and waits for them; Next then returns
// ErrClosed. Close may be called from another goroutine than Next's, and
// more than once.
func (l *Loader) Close() error {
	l.closed.Store(true)
	l.cancel()
	l.wg.Wait()
	return nil
}
