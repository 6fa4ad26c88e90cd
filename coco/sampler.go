package coco

import (
	"fmt"
	"math/rand/v2"
)

// Draw is one image chosen by a Sampler: its position in Dataset.Images
// and its draw number, which seeds that image's augmentation so that the
// result does not depend on worker scheduling and replays after a resume.
type Draw struct {
	Index int    `json:"index"`
	Seq   uint64 `json:"seq"`
}

// SamplerConfig configures a Sampler.
type SamplerConfig struct {
	Seed      uint64
	BatchSize int
	// Shuffle draws a new permutation each epoch (from Seed and the epoch
	// number); otherwise images come in order.
	Shuffle bool
	// Infinite repeats epochs forever (training); otherwise one pass, and
	// the last batches may be short.
	Infinite bool
	// GroupByAspect batches landscape (w > h) and portrait images
	// separately, as detectron2's AspectRatioGroupedDataset.
	GroupByAspect bool
}

// SamplerState is a Sampler's position, for checkpoints (JSON-encodable).
type SamplerState struct {
	Epoch   uint64 `json:"epoch"`
	Pos     int    `json:"pos"`
	Draws   uint64 `json:"draws"`
	Batches uint64 `json:"batches"`
	// Pending are the aspect buckets' images not yet batched.
	Pending [2][]Draw `json:"pending"`
	Done    bool      `json:"done,omitempty"`
}

func (st SamplerState) clone() SamplerState {
	c := st
	for b := range c.Pending {
		c.Pending[b] = append([]Draw(nil), st.Pending[b]...)
	}
	return c
}

// Sampler yields batches of image positions: seeded, restartable, with
// optional aspect-ratio grouping.
type Sampler struct {
	cfg    SamplerConfig
	images []int
	bucket []uint8 // per images entry: 0 landscape, 1 portrait
	perm   []int
	st     SamplerState
}

// NewSampler samples from images (positions in d.Images).
func NewSampler(d *Dataset, images []int, cfg SamplerConfig) (*Sampler, error) {
	if cfg.BatchSize < 1 {
		return nil, fmt.Errorf("sampler: batch size %d must be >= 1", cfg.BatchSize)
	}
	if len(images) == 0 {
		return nil, fmt.Errorf("sampler: no images to sample from")
	}
	s := &Sampler{cfg: cfg, images: append([]int(nil), images...), bucket: make([]uint8, len(images))}
	for j, i := range images {
		if i < 0 || i >= len(d.Images) {
			return nil, fmt.Errorf("sampler: image position %d outside 0..%d", i, len(d.Images)-1)
		}
		if im := d.Images[i]; !(im.Width > im.Height) {
			s.bucket[j] = 1
		}
	}
	s.newEpoch()
	return s, nil
}

func (s *Sampler) newEpoch() {
	if s.cfg.Shuffle {
		s.perm = rand.New(rand.NewPCG(s.cfg.Seed, s.st.Epoch)).Perm(len(s.images))
	} else {
		s.perm = s.perm[:0]
		for j := range s.images {
			s.perm = append(s.perm, j)
		}
	}
}

// State returns the position after the last batch returned by Next.
func (s *Sampler) State() SamplerState { return s.st.clone() }

// Restore continues from a state taken from a sampler with the same
// configuration and images.
func (s *Sampler) Restore(st SamplerState) error {
	if st.Pos < 0 || st.Pos > len(s.images) {
		return fmt.Errorf("sampler: state position %d outside 0..%d", st.Pos, len(s.images))
	}
	sampled := make(map[int]bool, len(s.images))
	for _, i := range s.images {
		sampled[i] = true
	}
	for _, p := range st.Pending {
		if len(p) >= s.cfg.BatchSize {
			return fmt.Errorf("sampler: state has %d pending images for batch size %d", len(p), s.cfg.BatchSize)
		}
		// A state from another data set (or a damaged checkpoint) must not
		// reach Dataset.Sample with a position it does not have.
		for _, d := range p {
			if !sampled[d.Index] {
				return fmt.Errorf("sampler: state has pending image position %d, which is not among the %d images sampled (state from another data set?)", d.Index, len(s.images))
			}
		}
	}
	s.st = st.clone()
	s.newEpoch()
	return nil
}

// Next returns the next batch, or ok == false when a finite sampler is
// exhausted.
func (s *Sampler) Next() (batch []Draw, ok bool) {
	for !s.st.Done {
		if s.st.Pos == len(s.images) {
			if !s.cfg.Infinite {
				break
			}
			s.st.Epoch++
			s.st.Pos = 0
			s.newEpoch()
		}
		j := s.perm[s.st.Pos]
		s.st.Pos++
		d := Draw{Index: s.images[j], Seq: s.st.Draws}
		s.st.Draws++
		b := 0
		if s.cfg.GroupByAspect {
			b = int(s.bucket[j])
		}
		s.st.Pending[b] = append(s.st.Pending[b], d)
		if len(s.st.Pending[b]) == s.cfg.BatchSize {
			batch = s.st.Pending[b]
			s.st.Pending[b] = nil
			s.st.Batches++
			return batch, true
		}
	}
	// Finite and exhausted: flush partial buckets, then stop.
	s.st.Done = true
	for b := range s.st.Pending {
		if len(s.st.Pending[b]) > 0 {
			batch = s.st.Pending[b]
			s.st.Pending[b] = nil
			s.st.Batches++
			return batch, true
		}
	}
	return nil, false
}

// drawRNG is the augmentation generator of draw seq under seed.
func drawRNG(seed, seq uint64) *rand.Rand {
	return rand.New(rand.NewPCG(seed^0x9e3779b97f4a7c15, seq))
}
