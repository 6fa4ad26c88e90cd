package rpn

// Shapes: N images in a batch padded to Hp x Wp, L levels, level l a
// Hl x Wl grid, C channels, A anchors per position, T = sum Hl*Wl*A.
//
//	features[l]  [N, C, Hl, Wl]
//	head         objectness[l] [N, A, Hl, Wl], deltas[l] [N, 4A, Hl, Wl]
//	flattened    objectness [N, T], deltas [N, T, 4]   (Flatten)
//	anchors      [T*4] for every image (same grids, same padded size)
//	proposals    per image, <= PostNMSTopN boxes (detached: no gradient)
//	losses       objectness and box regression of the sampled anchors

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/gcdet/gcdet/box"
	"github.com/gcdet/gcdet/nn"
	"github.com/gcdet/gcdet/tensor"
)

// RPN is the region proposal network of an FPN detector: the shared head
// over every pyramid level, the anchors, proposal selection and, in
// training, the anchor labels, sampling and losses. It is registered as
// "rpn" in a detector; its only child is "head" (so parameters are named
// "rpn.head.conv.0.0.weight", ...).
//
// The mode comes from nn: after Train(false) Forward uses the test top-n
// values and computes no losses.
type RPN struct {
	nn.Container
	Head *Head

	cfg     Config
	anchors *AnchorGenerator
	coder   box.Coder
	matcher box.Matcher
	sampler box.Sampler
}

// New builds an RPN for FPN features of inChannels channels with the
// default FPN anchors (sizes 32..512 on P2..P6, ratios 0.5, 1, 2) in the
// configured style. The head's weights come from rng.
func New(rng *rand.Rand, inChannels int, cfg Config) (*RPN, error) {
	return NewWithAnchors(rng, inChannels, cfg, DefaultFPNAnchors(cfg.Anchors))
}

// NewWithAnchors is New with another anchor generator (its style overrides
// cfg.Anchors). Every level must have the same number of anchors per
// position, since one head serves all levels.
func NewWithAnchors(rng *rand.Rand, inChannels int, cfg Config, anchors *AnchorGenerator) (*RPN, error) {
	cfg.Anchors = anchors.Style()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	perLoc := anchors.NumAnchorsPerLocation()
	for l, a := range perLoc {
		if a != perLoc[0] {
			return nil, fmt.Errorf("rpn: level %d has %d anchors per position and level 0 has %d; a shared head needs the same number", l, a, perLoc[0])
		}
	}
	if inChannels < 1 {
		return nil, fmt.Errorf("rpn: %d input channels", inChannels)
	}
	matcher, err := box.NewMatcher(cfg.FgIoU, cfg.BgIoU, true)
	if err != nil {
		return nil, fmt.Errorf("rpn: %w", err)
	}
	sampler, err := box.NewSampler(cfg.BatchSizePerImage, cfg.PositiveFraction)
	if err != nil {
		return nil, fmt.Errorf("rpn: %w", err)
	}
	w := cfg.BoxWeights
	r := &RPN{
		cfg: cfg, anchors: anchors, matcher: matcher, sampler: sampler,
		coder: box.NewCoder(w[0], w[1], w[2], w[3]),
	}
	r.Head = nn.Register(&r.Container, "head", NewHead(rng, inChannels, perLoc[0], cfg.ConvDepth))
	return r, nil
}

// Config returns the RPN's configuration.
func (r *RPN) Config() Config { return r.cfg }

// Anchors returns the anchor generator.
func (r *RPN) Anchors() *AnchorGenerator { return r.anchors }

// Input is what one RPN pass needs.
type Input struct {
	// Features are the pyramid levels, finest first, [N, C, Hl, Wl].
	Features []*tensor.Tensor
	// Padded is the batch's padded input size (Hp, Wp); Sizes the size of
	// each of the N images inside it.
	Padded ImageSize
	Sizes  []ImageSize
	// GT are each image's ground-truth boxes (training only; an image may
	// have none).
	GT []box.Boxes
	// Rand draws the anchor samples (training only).
	Rand *rand.Rand
}

// Output is the result of one RPN pass.
type Output struct {
	// Proposals per image, detached from the graph.
	Proposals []Proposals
	// Losses in training; zero value in inference.
	Losses Losses
	// Objectness [N, T] and Deltas [N, T, 4] are the head's flattened
	// outputs (part of the graph in training), and AnchorsPerLevel the T
	// split by level: for inspection and tests.
	Objectness, Deltas *tensor.Tensor
	AnchorsPerLevel    []int
}

// Forward runs the head, selects proposals and, in training mode, computes
// the losses. Missing ground truth or generator in training, a mismatch
// between features and anchor levels or image counts, are programmer errors
// (panics); a diverging model (non-finite proposals in training) is an
// error.
func (r *RPN) Forward(in Input) (Output, error) {
	if len(in.Features) != r.anchors.NumLevels() {
		panic(fmt.Sprintf("rpn.RPN.Forward: %d feature levels for %d anchor levels", len(in.Features), r.anchors.NumLevels()))
	}
	n := in.Features[0].Dim(0)
	if len(in.Sizes) != n {
		panic(fmt.Sprintf("rpn.RPN.Forward: %d image sizes for a batch of %d", len(in.Sizes), n))
	}
	training := r.Training()
	if training && (len(in.GT) != n || in.Rand == nil) {
		panic(fmt.Sprintf("rpn.RPN.Forward: training needs ground truth for each of the %d images (got %d) and a random generator", n, len(in.GT)))
	}

	objMaps, delMaps := r.Head.Forward(in.Features)
	obj, del, perLevel := Flatten(objMaps, delMaps)
	grids := make([]Grid, len(in.Features))
	for l, f := range in.Features {
		grids[l] = Grid{H: f.Dim(2), W: f.Dim(3)}
	}
	var anchors box.Boxes
	for _, a := range r.anchors.Anchors(in.Padded.H, in.Padded.W, grids) {
		anchors = append(anchors, a...)
	}
	t := anchors.Len()

	// Proposals (on the detached host values) and, in training, anchor
	// matches: images in parallel, as neither draws random numbers.
	objHost, delHost := obj.Data(), del.Data()
	out := Output{Objectness: obj, Deltas: del, AnchorsPerLevel: perLevel, Proposals: make([]Proposals, n)}
	p := r.cfg.selectParams(training)
	errs := make([]error, n)
	matches := make([][]int32, n)
	perImage(n, func(i int) {
		out.Proposals[i], errs[i] = selectProposals(objHost[i*t:(i+1)*t], delHost[4*i*t:4*(i+1)*t], anchors, perLevel, in.Sizes[i], r.coder, p)
		if training {
			matches[i] = matchAnchors(anchors, in.GT[i], r.matcher)
		}
	})
	for i, err := range errs {
		if err != nil {
			return Output{}, fmt.Errorf("%w (image %d of the batch)", err, i)
		}
	}
	if !training {
		return out, nil
	}

	// Samples are drawn image after image, so a seed reproduces them.
	targets := make([]anchorTargets, n)
	for i := range n {
		targets[i] = sampleAnchors(matches[i], anchors, in.GT[i], r.sampler, r.coder, in.Rand)
	}
	out.Losses = r.cfg.losses(obj, del, targets)
	return out, nil
}

// perImage runs f(0..n-1) on up to GOMAXPROCS goroutines.
func perImage(n int, f func(i int)) {
	w := min(n, runtime.GOMAXPROCS(0))
	if w <= 1 {
		for i := range n {
			f(i)
		}
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range w {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := int(next.Add(1)) - 1; i < n; i = int(next.Add(1)) - 1 {
				f(i)
			}
		}()
	}
	wg.Wait()
}
