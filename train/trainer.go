package train

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/gcdet/gcdet/coco"
	"github.com/gcdet/gcdet/configs"
	"github.com/gcdet/gcdet/detector"
	"github.com/gcdet/gcdet/optim"
	"github.com/gcdet/gcdet/tensor/cpu"
	"github.com/rs/zerolog"
)

// Options configure a training run.
type Options struct {
	Config configs.Config
	// Files are the config files it came from (logged).
	Files []string
	// OutDir receives everything: config.yaml, log.jsonl, metrics.jsonl,
	// checkpoints/, plots/, vis/, results/, and data/ for synthetic data.
	OutDir string
	// DataDir is where synthetic data is generated (default OutDir/data).
	DataDir string
	// Resume continues from the newest checkpoint in OutDir/checkpoints.
	Resume bool
	// Console gets the readable log and the progress bar (stderr).
	Console io.Writer
	// Summary gets pycocotools' printed summary of the final evaluation
	// (stdout); nil prints none.
	Summary io.Writer
	// Progress draws the progress bar (on a terminal).
	Progress bool
	// StopAfter > 0 stops after that many iterations of this process as an
	// interrupt does: checkpoint, ErrInterrupted (tests, time limits).
	StopAfter int
}

// Result is what a run achieved.
type Result struct {
	// Iter is the number of iterations completed.
	Iter int
	// Eval is the final evaluation (nil when interrupted).
	Eval *EvalResult
	// Losses are the mean loss terms over the last log window, and Loss
	// their total.
	Losses map[string]float64
	Loss   float64
	// TrainSeconds is the training time over all resumed parts, without
	// evaluations.
	TrainSeconds float64
	// Checkpoint is the last checkpoint written.
	Checkpoint string
}

// ErrInterrupted is returned when a run stopped early (Ctrl-C or
// StopAfter) after saving a checkpoint.
var ErrInterrupted = errors.New("training interrupted; a checkpoint was saved, --resume continues")

// Seeds of the independent generators derived from the config's seed.
const (
	streamModel = 0x6d6f64656c // weight initialization
	streamTrain = 0x747261696e // anchor and RoI sampling
)

// run is one training run's state.
type run struct {
	o        Options
	cfg      *configs.Config
	log      zerolog.Logger
	prog     *progress
	data     *Data
	model    *detector.GeneralizedRCNN
	opt      *optim.Optimizer
	pcg      *rand.PCG
	rng      *rand.Rand
	loader   *coco.Loader
	eval     *Evaluator
	metrics  *metricsLog
	records  []Record
	start    int // first iteration of this process
	maxIter  int
	elapsed  float64 // training seconds before this process
	lastCkpt string
	ckptDir  string
	logFile  *os.File
	// lastLosses are the loss terms of the last finite iteration.
	lastLosses map[string]float64
	// evalSeconds is the time spent evaluating in this process (not
	// training time).
	evalSeconds float64
}

// Run trains as o says. It returns ErrInterrupted (with the partial
// result) when ctx is cancelled or StopAfter is reached: a checkpoint is
// saved first. A non-finite loss stops the run with an error naming the
// iteration and the loss terms; the checkpoints on disk are left as they
// were.
func Run(ctx context.Context, o Options) (*Result, error) {
	if o.Console == nil {
		o.Console = io.Discard
	}
	r := &run{o: o, cfg: &o.Config}
	defer r.close()
	if err := r.setup(); err != nil {
		return nil, err
	}
	return r.loop(ctx)
}

func (r *run) setup() error {
	cfg := r.cfg
	if cfg.Device != "cpu" {
		return fmt.Errorf("device %s: this build has no CUDA backend (the tensor engine runs on the CPU only); use --device cpu", cfg.Device)
	}
	var err error
	if err = os.MkdirAll(r.o.OutDir, 0o755); err != nil {
		return fmt.Errorf("output folder: %v", err)
	}
	r.ckptDir = filepath.Join(r.o.OutDir, "checkpoints")
	flags := os.O_CREATE | os.O_WRONLY | os.O_TRUNC
	if r.o.Resume {
		flags = os.O_CREATE | os.O_WRONLY | os.O_APPEND
	}
	if r.logFile, err = os.OpenFile(filepath.Join(r.o.OutDir, "log.jsonl"), flags, 0o644); err != nil {
		return fmt.Errorf("output folder: %v", err)
	}
	r.prog = newProgress(r.o.Console, 0, 1, r.o.Progress)
	r.log = newLogger(&clearingWriter{p: r.prog, w: r.o.Console}, r.logFile)
	if cfg.Train.Threads > 0 {
		cpu.SetThreads(cfg.Train.Threads)
	}
	r.log.Info().Strs("config", r.o.Files).Str("out", r.o.OutDir).Uint64("seed", cfg.Seed).Int("threads", cpu.Threads()).
		Str("gemm", cpu.BLASInfo()).Msg("detect-train")
	if y, err := cfg.YAML(); err == nil {
		os.WriteFile(filepath.Join(r.o.OutDir, "config.yaml"), y, 0o644)
	}

	// Checkpoint to resume from.
	var ck *Checkpoint
	if r.o.Resume {
		list, err := ListCheckpoints(r.ckptDir)
		if err != nil {
			return err
		}
		if len(list) == 0 {
			r.log.Warn().Str("dir", r.ckptDir).Msg("--resume: no checkpoint yet, starting from scratch")
		} else {
			newest := list[len(list)-1]
			if ck, err = LoadCheckpoint(newest.Path); err != nil {
				return err
			}
			r.lastCkpt = newest.Path
			r.log.Info().Str("checkpoint", newest.Path).Int("iter", ck.Meta.Iter).Msg("resuming")
		}
	}

	dataDir := r.o.DataDir
	if dataDir == "" {
		dataDir = filepath.Join(r.o.OutDir, "data")
	}
	if r.data, err = PrepareData(cfg, dataDir, r.log); err != nil {
		return err
	}
	k := len(r.data.Categories)
	if cfg.Model.NumClasses != 0 && cfg.Model.NumClasses != k {
		return fmt.Errorf("model.num_classes is %d but the training set %s has %d categories", cfg.Model.NumClasses, r.data.Train.Path, k)
	}
	if r.model, err = BuildModel(cfg, k, rand.New(rand.NewPCG(cfg.Seed, streamModel))); err != nil {
		return err
	}
	if ck != nil {
		if _, err := Assign(r.model, ck.Model, AssignOptions{}); err != nil {
			return err
		}
	} else if err := InitWeights(r.model, cfg.Model, r.log); err != nil {
		return err
	}

	trainImages := r.data.Train.TrainImages(cfg.Data.FilterEmpty)
	if len(trainImages) == 0 {
		return fmt.Errorf("data.train: %s has no usable training images", r.data.Train.Path)
	}
	sc, err := ScheduleConfig(cfg.Solver, len(trainImages))
	if err != nil {
		return err
	}
	r.maxIter = sc.MaxIter
	sched, err := optim.NewSchedule(sc)
	if err != nil {
		return err
	}
	oc := OptimizerConfig(cfg.Solver)
	if r.opt, err = optim.New(r.model.Params(), oc, optim.Options{Warn: func(m string) { r.log.Warn().Msg(m) }}); err != nil {
		return fmt.Errorf("solver.optimizer: %v", err)
	}
	r.opt.SetSchedule(sched)
	r.pcg = rand.NewPCG(cfg.Seed, streamTrain)
	lc := coco.TrainLoaderConfig(cfg.Solver.ImsPerBatch, cfg.Seed)
	lc.Images = trainImages
	lc.FilterEmpty = cfg.Data.FilterEmpty
	lc.GroupByAspect = cfg.Input.GroupByAspect
	lc.Workers = cfg.Data.Workers
	lc.SizeDivisibility = r.model.SizeDivisibility()
	lc.Transform = TrainTransform(cfg.Input)
	lc.SkipBad = cfg.Data.SkipBad
	lc.Masks = r.model.HasMasks()
	lc.Log = func(err error) { r.log.Warn().Err(err).Msg("skipped") }
	if ck != nil {
		if err := r.opt.LoadState(ck.Optimizer); err != nil {
			return fmt.Errorf("checkpoint %s: %v", r.lastCkpt, err)
		}
		if err := r.pcg.UnmarshalBinary(ck.Meta.RNG); err != nil {
			return fmt.Errorf("checkpoint %s: generator state: %v", r.lastCkpt, err)
		}
		lc.Resume = ck.Meta.Data
		r.start = ck.Meta.Iter
		r.elapsed = ck.Meta.Elapsed
	}
	r.rng = rand.New(r.pcg)
	r.log.Info().Int("params", countParams(r.model)).Int("classes", k).
		Str("arch", cfg.Model.Arch).Int("max_iter", r.maxIter).Int("ims_per_batch", cfg.Solver.ImsPerBatch).
		Float64("lr", oc.LR).Str("gc", gcDescription(oc.GC)).Int("gc_params", len(r.opt.GCParams())).Msg("model and solver")
	if r.loader, err = coco.NewLoader(context.Background(), r.data.Train, lc); err != nil {
		return err
	}
	if r.eval, err = NewEvaluator(r.data.Val, r.data.Categories, TestTransform(cfg.Input), cfg.Data.Workers, cfg.Data.ValImages); err != nil {
		return err
	}
	keep := -1
	if ck != nil {
		keep = r.start
	}
	if r.metrics, r.records, err = openMetrics(filepath.Join(r.o.OutDir, "metrics.jsonl"), keep); err != nil {
		return err
	}
	return nil
}

func gcDescription(g optim.GCConfig) string {
	if g.Scope == optim.ScopeOff {
		return "off"
	}
	s := g.Scope
	if s == "" {
		s = optim.ScopeAll
	}
	k := g.Kinds
	if k == "" {
		k = optim.KindsConvLinear
	}
	return s + "/" + k
}

func countParams(m *detector.GeneralizedRCNN) int {
	n := 0
	for _, p := range m.Params() {
		n += p.Value.Numel()
	}
	return n
}

func (r *run) close() {
	if r.loader != nil {
		r.loader.Close()
	}
	if r.metrics != nil {
		r.metrics.close()
	}
	if r.logFile != nil {
		r.logFile.Close()
	}
}

// window keeps the last values of each loss term for smoothed logging.
type window struct {
	n      int
	values map[string][]float64
	times  []float64
	data   []float64
}

func (w *window) add(losses map[string]float64, iterTime, dataTime float64) {
	if w.values == nil {
		w.values = map[string][]float64{}
	}
	push := func(s []float64, v float64) []float64 {
		s = append(s, v)
		if len(s) > w.n {
			s = s[1:]
		}
		return s
	}
	for k, v := range losses {
		w.values[k] = push(w.values[k], v)
	}
	w.times = push(w.times, iterTime)
	w.data = push(w.data, dataTime)
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func mean(v []float64) float64 {
	t := 0.0
	for _, x := range v {
		t += x
	}
	return t / float64(max(len(v), 1))
}

func (r *run) loop(ctx context.Context) (*Result, error) {
	cfg := r.cfg
	res := &Result{Iter: r.start}
	win := &window{n: cfg.Train.LogPeriod}
	r.prog.reset(r.start, r.maxIter)
	trainStart := time.Now()
	trainSeconds := func() float64 { return r.elapsed + time.Since(trainStart).Seconds() - r.evalSeconds }
	r.log.Info().Int("from", r.start).Int("to", r.maxIter).Msg("training")
	var gradNorm float64
	for it := r.start; it < r.maxIter; it++ {
		if ctx.Err() != nil || (r.o.StopAfter > 0 && it-r.start >= r.o.StopAfter) {
			return r.interrupt(res, it, trainSeconds())
		}
		t0 := time.Now()
		b, err := r.loader.Next()
		if err != nil {
			return nil, fmt.Errorf("data: %w", err)
		}
		t1 := time.Now()
		losses, err := r.model.Loss(b, r.rng)
		if err != nil {
			if name := r.nonFiniteParam(); name != "" {
				return nil, r.diverged(it, fmt.Sprintf("parameter %s is not finite (%v)", name, err), r.lastLosses)
			}
			if strings.Contains(err.Error(), "finite") {
				// Finite but huge weights overflowing inside the model.
				return nil, r.diverged(it, err.Error(), r.lastLosses)
			}
			return nil, fmt.Errorf("iteration %d: %w", it, err)
		}
		vals := map[string]float64{}
		total := 0.0
		finite := true
		for _, t := range losses.Terms() {
			v := float64(t.Value.Item())
			vals[t.Name] = v
			total += v
			finite = finite && !math.IsNaN(v) && !math.IsInf(v, 0)
		}
		if !finite {
			return nil, r.diverged(it, "loss is not finite", vals)
		}
		r.lastLosses = vals
		r.opt.ZeroGrad()
		losses.Total().Backward()
		st, err := r.opt.Step()
		if err != nil {
			return nil, r.diverged(it, err.Error(), vals)
		}
		r.opt.ZeroGrad()
		if st.NormComputed {
			gradNorm = st.GradNorm
		}
		done := it + 1
		res.Iter = done
		win.add(vals, time.Since(t0).Seconds(), t1.Sub(t0).Seconds())
		r.prog.update(done, total, st.LR)
		if done%cfg.Train.LogPeriod == 0 || done == r.maxIter {
			rec := Record{Iter: done, Time: trainSeconds(), LR: st.LR, Losses: map[string]float64{}, GradNorm: gradNorm,
				IterTime: median(win.times), DataTime: median(win.data)}
			ev := r.log.Info().Int("iter", done)
			for _, t := range losses.Terms() {
				m := median(win.values[t.Name])
				rec.Losses[t.Name] = m
				rec.Loss += m
			}
			ev = ev.Float64("loss", round4(rec.Loss))
			for _, t := range losses.Terms() {
				ev = ev.Float64(t.Name, round4(rec.Losses[t.Name]))
			}
			eta := time.Duration(rec.IterTime * float64(r.maxIter-done) * float64(time.Second)).Round(time.Second)
			ev.Float64("lr", sig(st.LR)).Float64("iter_s", round4(rec.IterTime)).Float64("data_s", round4(rec.DataTime)).Str("eta", eta.String()).Msg("train")
			r.record(rec)
		}
		if p := cfg.Train.CheckpointPeriod; p > 0 && done%p == 0 && done < r.maxIter {
			if err := r.save(CheckpointPath(r.ckptDir, done), done, false, trainSeconds()); err != nil {
				return nil, err
			}
		}
		if p := cfg.Train.EvalPeriod; p > 0 && done%p == 0 && done < r.maxIter {
			if _, err := r.evaluate(ctx, done, trainSeconds(), false); err != nil {
				if ctx.Err() != nil { // Ctrl-C during the evaluation
					return r.interrupt(res, done, trainSeconds())
				}
				return nil, err
			}
		}
	}
	for k, v := range win.values {
		if res.Losses == nil {
			res.Losses = map[string]float64{}
		}
		res.Losses[k] = mean(v)
		res.Loss += mean(v)
	}
	res.TrainSeconds = trainSeconds()
	final := filepath.Join(r.ckptDir, FinalName)
	if err := r.save(final, r.maxIter, true, res.TrainSeconds); err != nil {
		return nil, err
	}
	res.Checkpoint = final
	r.prog.clear()
	ev, err := r.evaluate(ctx, r.maxIter, res.TrainSeconds, true)
	if err != nil {
		if ctx.Err() != nil { // Ctrl-C during the final evaluation: --resume evaluates again
			r.log.Warn().Str("checkpoint", final).Msg("interrupted during the final evaluation")
			return res, ErrInterrupted
		}
		return nil, err
	}
	res.Eval = ev
	if err := os.MkdirAll(filepath.Join(r.o.OutDir, "results"), 0o755); err == nil {
		p := filepath.Join(r.o.OutDir, "results", "bbox_val.json")
		if err := WriteResults(p, ev.Detections, false); err != nil {
			r.log.Warn().Err(err).Msg("results file")
		}
		if ev.Segm != nil {
			p := filepath.Join(r.o.OutDir, "results", "segm_val.json")
			if err := WriteResults(p, ev.Detections, true); err != nil {
				r.log.Warn().Err(err).Msg("results file")
			}
		}
	}
	r.finishOutputs(ctx)
	done := r.log.Info().Int("iter", r.maxIter).Float64("train_s", round4(res.TrainSeconds)).Float64("box_AP", round4(ev.BBox.Stats[0]))
	if ev.Segm != nil {
		done = done.Float64("mask_AP", round4(ev.Segm.Stats[0]))
	}
	done.Str("checkpoint", final).Msg("done")
	return res, nil
}

func round4(v float64) float64 { return math.Round(v*1e4) / 1e4 }

// sig rounds v to 4 significant digits (for log lines).
func sig(v float64) float64 {
	if v == 0 || math.IsNaN(v) || math.IsInf(v, 0) {
		return v
	}
	e := math.Pow(10, 3-math.Floor(math.Log10(math.Abs(v))))
	return math.Round(v*e) / e
}

func formatLosses(vals map[string]float64) string {
	keys := make([]string, 0, len(vals))
	for k := range vals {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var parts []string
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s=%g", k, vals[k]))
	}
	return strings.Join(parts, " ")
}

func (r *run) keptCheckpoint() string {
	if r.lastCkpt == "" {
		return "no checkpoint was written yet"
	}
	return "the last good checkpoint is " + r.lastCkpt
}

// diverged is the error of a run whose loss or weights stopped being
// finite: it names the iteration, the cause and the loss terms (of this
// iteration, or the last finite ones), and the checkpoint left intact.
func (r *run) diverged(it int, cause string, vals map[string]float64) error {
	r.prog.clear()
	losses := "none computed yet"
	if vals != nil {
		losses = formatLosses(vals)
	}
	return fmt.Errorf("iteration %d: %s (losses: %s); training stopped, %s (lower solver.optimizer.lr or set solver.optimizer.clip_grad_norm)",
		it, cause, losses, r.keptCheckpoint())
}

// nonFiniteParam names a parameter holding NaN or Inf, or is "".
func (r *run) nonFiniteParam() string {
	for _, p := range r.model.Params() {
		if !p.Value.AllFinite() {
			return p.Name
		}
	}
	return ""
}

func (r *run) record(rec Record) {
	r.records = append(r.records, rec)
	if err := r.metrics.write(rec); err != nil {
		r.log.Warn().Err(err).Msg("metrics.jsonl")
	}
}

func (r *run) save(path string, iter int, final bool, elapsed float64) error {
	if name := r.nonFiniteParam(); name != "" {
		return r.diverged(iter-1, fmt.Sprintf("after the step parameter %s is not finite, so %s was not written", name, filepath.Base(path)), r.lastLosses)
	}
	y, err := r.cfg.YAML()
	if err != nil {
		return err
	}
	rng, err := r.pcg.MarshalBinary()
	if err != nil {
		return err
	}
	st := r.loader.State()
	meta := CheckpointMeta{Iter: iter, MaxIter: r.maxIter, Final: final, Config: string(y), Categories: r.data.Categories,
		RNG: rng, Data: &st, Elapsed: elapsed}
	if err := SaveCheckpoint(path, r.model, r.opt, meta); err != nil {
		return fmt.Errorf("checkpoint: %v", err)
	}
	r.lastCkpt = path
	if err := pruneCheckpoints(r.ckptDir, r.cfg.Train.KeepLast); err != nil {
		r.log.Warn().Err(err).Msg("removing old checkpoints")
	}
	r.log.Info().Str("path", path).Int("iter", iter).Msg("checkpoint")
	return nil
}

func (r *run) interrupt(res *Result, it int, elapsed float64) (*Result, error) {
	r.prog.clear()
	path := CheckpointPath(r.ckptDir, it)
	if err := r.save(path, it, false, elapsed); err != nil {
		return nil, err
	}
	res.Iter, res.Checkpoint, res.TrainSeconds = it, path, elapsed
	r.log.Warn().Int("iter", it).Str("checkpoint", path).Msg("interrupted")
	r.finishOutputs(context.Background())
	return res, ErrInterrupted
}

// evaluate runs the evaluator and records its stats; final prints
// pycocotools' summary.
func (r *run) evaluate(ctx context.Context, iter int, elapsed float64, final bool) (*EvalResult, error) {
	t := time.Now()
	defer func() { r.evalSeconds += time.Since(t).Seconds() }()
	r.prog.clear()
	ev, err := r.eval.Run(ctx, r.model)
	if err != nil {
		return nil, err
	}
	m := ev.Metrics()
	rec := Record{Iter: iter, Time: elapsed, Eval: m}
	r.record(rec)
	le := r.log.Info().Int("iter", iter).Int("images", ev.Images).Float64("bbox_AP", round4(m["bbox/AP"])).
		Float64("bbox_AP50", round4(m["bbox/AP50"]))
	if ev.Segm != nil {
		le = le.Float64("segm_AP", round4(m["segm/AP"])).Float64("segm_AP50", round4(m["segm/AP50"]))
	}
	le.Float64("seconds", round4(ev.Seconds)).Msg("evaluation")
	if final && r.o.Summary != nil {
		fmt.Fprintf(r.o.Summary, "Box AP on %d validation images (%s), iteration %d:\n", ev.Images, r.data.Val.Path, iter)
		ev.BBox.WriteSummary(r.o.Summary)
		if ev.Segm != nil {
			fmt.Fprintf(r.o.Summary, "Mask AP:\n")
			ev.Segm.WriteSummary(r.o.Summary)
		}
	}
	return ev, nil
}

// finishOutputs draws the plots and the prediction images.
func (r *run) finishOutputs(ctx context.Context) {
	plots := filepath.Join(r.o.OutDir, "plots")
	if files, err := PlotMetrics(r.records, plots); err != nil {
		r.log.Warn().Err(err).Msg("plots")
	} else if len(files) > 0 {
		r.log.Info().Strs("files", files).Msg("plots")
	}
	if n := r.cfg.Train.VisImages; n > 0 {
		dir := filepath.Join(r.o.OutDir, "vis")
		files, err := DrawPredictions(ctx, r.eval, r.model, n, r.cfg.Train.VisScoreThresh, dir)
		if err != nil {
			r.log.Warn().Err(err).Msg("drawing predictions")
		} else {
			r.log.Info().Str("dir", dir).Int("images", len(files)).Msg("predictions drawn")
		}
	}
}

// clearingWriter clears the progress bar before each log line.
type clearingWriter struct {
	p *progress
	w io.Writer
}

func (c *clearingWriter) Write(b []byte) (int, error) {
	c.p.clear()
	return c.w.Write(b)
}
