package train

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/gcdet/gcdet/configs"
	"github.com/gcdet/gcdet/optim"
)

// DefaultAblation is the GC ablation set `detect-train ablate` runs
// without arguments: the synthetic default run with GC off, on the
// backbone body only, on every conv and linear weight, and on conv
// weights only.
var DefaultAblation = []string{"ablation/gc_off.yaml", "ablation/gc_backbone.yaml", "ablation/gc_all.yaml", "ablation/gc_conv_only.yaml"}

// AblationOptions configure an ablation.
type AblationOptions struct {
	// Configs are config files or preset names (DefaultAblation when empty).
	Configs []string
	// Seeds is the number of seeds per config: 1..Seeds, each run with
	// seed = FirstSeed + i (initialization, data order, sampling; the
	// synthetic data set itself stays the same).
	Seeds     int
	FirstSeed uint64
	// Overrides apply to every config.
	Overrides []string
	OutDir    string
	Console   io.Writer
}

// AblationRun is one config and seed.
type AblationRun struct {
	Config  string             `json:"config"`
	Name    string             `json:"name"`
	Seed    uint64             `json:"seed"`
	BoxAP   float64            `json:"box_ap"`
	MaskAP  float64            `json:"mask_ap"` // NaN (null in JSON) without masks
	Loss    float64            `json:"final_loss"`
	Losses  map[string]float64 `json:"final_losses"`
	Seconds float64            `json:"train_seconds"`
	Dir     string             `json:"dir"`
}

// AblationRow summarizes one config over its seeds.
type AblationRow struct {
	Name    string `json:"name"`
	Config  string `json:"config"`
	GC      string `json:"gc"`
	BoxAP   Stat   `json:"box_ap"`
	MaskAP  Stat   `json:"mask_ap"`
	Loss    Stat   `json:"final_loss"`
	Seconds Stat   `json:"train_seconds"`
	// DiffBoxAP and DiffMaskAP are the paired differences to the baseline
	// (GC off) with 95% t-intervals; nil on the baseline row.
	DiffBoxAP  *Diff `json:"diff_box_ap,omitempty"`
	DiffMaskAP *Diff `json:"diff_mask_ap,omitempty"`
}

// AblationReport is the ablation's outcome.
type AblationReport struct {
	Baseline string        `json:"baseline"`
	Seeds    []uint64      `json:"seeds"`
	Rows     []AblationRow `json:"rows"`
	Runs     []AblationRun `json:"runs"`
	Command  string        `json:"command,omitempty"`
	Started  time.Time     `json:"started"`
	// Seconds is this invocation's wall time (runs finished before are
	// reused, not retrained); TrainSeconds sums every run's training time.
	Seconds      float64        `json:"seconds"`
	TrainSeconds float64        `json:"train_seconds"`
	Curves       []ablationCurv `json:"-"`
}

type ablationCurv struct {
	name    string
	records [][]Record // per seed
}

// RunAblation trains every config for every seed (skipping runs already
// finished in OutDir, so an interrupted ablation continues), then
// summarizes. The baseline is the first config with GC off (else the
// first config).
func RunAblation(ctx context.Context, o AblationOptions) (*AblationReport, error) {
	if len(o.Configs) == 0 {
		o.Configs = DefaultAblation
	}
	if o.Seeds < 1 {
		return nil, fmt.Errorf("ablation: --seeds %d must be >= 1", o.Seeds)
	}
	if o.Console == nil {
		o.Console = io.Discard
	}
	rep := &AblationReport{Started: time.Now()}
	type loaded struct {
		name string
		cfg  configs.Config
		info configs.Info
	}
	var cfgs []loaded
	names := map[string]bool{}
	for _, c := range o.Configs {
		cfg, info, err := configs.Load(c, o.Overrides...)
		if err != nil {
			return nil, err
		}
		name := strings.TrimSuffix(filepath.Base(c), filepath.Ext(c))
		for names[name] {
			name += "_"
		}
		names[name] = true
		cfgs = append(cfgs, loaded{name, cfg, info})
	}
	for i := 0; i < o.Seeds; i++ {
		rep.Seeds = append(rep.Seeds, o.FirstSeed+uint64(i))
	}
	base := 0
	for i, c := range cfgs {
		if c.cfg.Solver.Optimizer.GC.Scope == optim.ScopeOff {
			base = i
			break
		}
	}
	rep.Baseline = cfgs[base].name
	dataDir := filepath.Join(o.OutDir, "data")
	total := len(cfgs) * o.Seeds
	k := 0
	for _, c := range cfgs {
		curve := ablationCurv{name: c.name}
		for _, seed := range rep.Seeds {
			k++
			dir := filepath.Join(o.OutDir, c.name, fmt.Sprintf("seed%d", seed))
			run, err := ablationRun(ctx, c.cfg, c.info, seed, dir, dataDir, o.Console, k, total, c.name)
			if err != nil {
				return nil, fmt.Errorf("ablation %s seed %d: %w", c.name, seed, err)
			}
			run.Config = strings.Join(c.info.Files, " <- ")
			rep.Runs = append(rep.Runs, *run)
			recs, _ := ReadMetrics(filepath.Join(dir, "metrics.jsonl"))
			curve.records = append(curve.records, recs)
		}
		rep.Curves = append(rep.Curves, curve)
	}
	rep.Rows = summarizeAblation(rep.Runs, cfgs[base].name, func(name string) (string, string) {
		for _, c := range cfgs {
			if c.name == name {
				return c.info.Files[len(c.info.Files)-1], gcDescription(c.cfg.Solver.Optimizer.GC)
			}
		}
		return "", ""
	})
	rep.Seconds = time.Since(rep.Started).Seconds()
	for _, r := range rep.Runs {
		rep.TrainSeconds += r.Seconds
	}
	return rep, nil
}

// ablationRun trains one config and seed, or reads its result when the
// run finished before.
func ablationRun(ctx context.Context, cfg configs.Config, info configs.Info, seed uint64, dir, dataDir string, console io.Writer, k, total int, name string) (*AblationRun, error) {
	resultPath := filepath.Join(dir, "result.json")
	if b, err := os.ReadFile(resultPath); err == nil {
		var r AblationRun
		if json.Unmarshal(b, &r) == nil {
			fmt.Fprintf(console, "[%d/%d] %s seed %d: done before (box AP %.4f)\n", k, total, name, seed, r.BoxAP)
			return &r, nil
		}
	}
	cfg.Seed = seed
	fmt.Fprintf(console, "[%d/%d] %s seed %d: training %d iterations into %s\n", k, total, name, seed, cfg.Solver.MaxIter, dir)
	logBuf := &tailWriter{}
	res, err := Run(ctx, Options{Config: cfg, Files: info.Files, OutDir: dir, DataDir: dataDir, Console: logBuf, Resume: true})
	if err != nil {
		if !errors.Is(err, ErrInterrupted) {
			console.Write(logBuf.tail())
		}
		return nil, err
	}
	r := &AblationRun{Name: name, Seed: seed, BoxAP: res.Eval.BBox.Stats[0], MaskAP: math.NaN(), Loss: res.Loss, Losses: res.Losses,
		Seconds: res.TrainSeconds, Dir: dir}
	if res.Eval.Segm != nil {
		r.MaskAP = res.Eval.Segm.Stats[0]
	}
	fmt.Fprintf(console, "[%d/%d] %s seed %d: box AP %.4f, final loss %.4f, %.0f s\n", k, total, name, seed, r.BoxAP, r.Loss, r.Seconds)
	b, _ := json.Marshal(*r)
	if err := os.WriteFile(resultPath, b, 0o644); err != nil {
		return nil, err
	}
	return r, nil
}

// tailWriter keeps the last 8 KiB of a run's log, shown if it fails.
type tailWriter struct{ b []byte }

func (t *tailWriter) Write(p []byte) (int, error) {
	t.b = append(t.b, p...)
	if len(t.b) > 8192 {
		t.b = t.b[len(t.b)-8192:]
	}
	return len(p), nil
}

func (t *tailWriter) tail() []byte { return t.b }

// summarizeAblation groups runs by config (in order of appearance) and
// pairs each config's seeds with the baseline's.
func summarizeAblation(runs []AblationRun, baseline string, describe func(string) (string, string)) []AblationRow {
	var order []string
	by := map[string][]AblationRun{}
	for _, r := range runs {
		if _, ok := by[r.Name]; !ok {
			order = append(order, r.Name)
		}
		by[r.Name] = append(by[r.Name], r)
	}
	pick := func(rs []AblationRun, f func(AblationRun) float64, seeds []uint64) []float64 {
		out := make([]float64, len(seeds))
		for i, s := range seeds {
			out[i] = math.NaN()
			for _, r := range rs {
				if r.Seed == s {
					out[i] = f(r)
				}
			}
		}
		return out
	}
	var seeds []uint64
	seen := map[uint64]bool{}
	for _, r := range runs {
		if !seen[r.Seed] {
			seen[r.Seed] = true
			seeds = append(seeds, r.Seed)
		}
	}
	sort.Slice(seeds, func(i, j int) bool { return seeds[i] < seeds[j] })
	box := func(r AblationRun) float64 { return r.BoxAP }
	msk := func(r AblationRun) float64 { return r.MaskAP }
	var rows []AblationRow
	for _, n := range order {
		rs := by[n]
		row := AblationRow{Name: n}
		if describe != nil {
			row.Config, row.GC = describe(n)
		}
		row.BoxAP = Summarize(pick(rs, box, seeds))
		row.MaskAP = Summarize(pick(rs, msk, seeds))
		row.Loss = Summarize(pick(rs, func(r AblationRun) float64 { return r.Loss }, seeds))
		row.Seconds = Summarize(pick(rs, func(r AblationRun) float64 { return r.Seconds }, seeds))
		if n != baseline {
			d := PairedDiff(pick(rs, box, seeds), pick(by[baseline], box, seeds), 0.95)
			row.DiffBoxAP = &d
			if row.MaskAP.N > 0 {
				dm := PairedDiff(pick(rs, msk, seeds), pick(by[baseline], msk, seeds), 0.95)
				row.DiffMaskAP = &dm
			}
		}
		rows = append(rows, row)
	}
	return rows
}

func fmtStat(s Stat, scale float64, prec int) string {
	if s.N == 0 || math.IsNaN(s.Mean) {
		return "-"
	}
	if s.N < 2 {
		return strconv.FormatFloat(s.Mean*scale, 'f', prec, 64)
	}
	return fmt.Sprintf("%.*f ± %.*f", prec, s.Mean*scale, prec, s.SD*scale)
}

func fmtDiff(d *Diff, scale float64) string {
	if d == nil {
		return "(baseline)"
	}
	if d.N == 0 {
		return "-"
	}
	if math.IsNaN(d.Lo) {
		return fmt.Sprintf("%+.2f (n=1)", d.Mean*scale)
	}
	return fmt.Sprintf("%+.2f [%+.2f, %+.2f]", d.Mean*scale, d.Lo*scale, d.Hi*scale)
}

// WriteTable prints the summary: AP in points (x100), mean ± sample SD
// over seeds, and the difference to the baseline with its 95% t-interval.
func (r *AblationReport) WriteTable(w io.Writer) {
	fmt.Fprintf(w, "GC ablation: %d seeds (%v), baseline %s; AP x100, mean ± SD over seeds; Δ = paired difference to the baseline [95%% t-interval]\n",
		len(r.Seeds), r.Seeds, r.Baseline)
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "config\tGC\tbox AP\tΔ box AP\tmask AP\tΔ mask AP\tfinal loss\ttime (s)")
	for _, row := range r.Rows {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", row.Name, row.GC, fmtStat(row.BoxAP, 100, 2), fmtDiff(row.DiffBoxAP, 100),
			fmtStat(row.MaskAP, 100, 2), maskDiff(row), fmtStat(row.Loss, 1, 4), fmtStat(row.Seconds, 1, 0))
	}
	tw.Flush()
}

func maskDiff(row AblationRow) string {
	if row.MaskAP.N == 0 {
		return "-"
	}
	return fmtDiff(row.DiffMaskAP, 100)
}

// WriteFiles writes ablation.json, ablation.csv, ablation.txt (the table)
// and the curves' plots into dir.
func (r *AblationReport) WriteFiles(dir string) ([]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	var files []string
	js, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return nil, err
	}
	p := filepath.Join(dir, "ablation.json")
	if err := os.WriteFile(p, js, 0o644); err != nil {
		return nil, err
	}
	files = append(files, p)

	p = filepath.Join(dir, "ablation.csv")
	f, err := os.Create(p)
	if err != nil {
		return nil, err
	}
	cw := csv.NewWriter(f)
	cw.Write([]string{"config", "gc", "seeds", "box_ap_mean", "box_ap_sd", "diff_box_ap", "diff_box_ap_lo", "diff_box_ap_hi",
		"mask_ap_mean", "mask_ap_sd", "diff_mask_ap", "diff_mask_ap_lo", "diff_mask_ap_hi", "final_loss_mean", "final_loss_sd", "train_seconds_mean"})
	num := func(v float64) string {
		if math.IsNaN(v) {
			return ""
		}
		return strconv.FormatFloat(v, 'g', 6, 64)
	}
	for _, row := range r.Rows {
		d, dm := row.DiffBoxAP, row.DiffMaskAP
		if d == nil {
			d = &Diff{Mean: math.NaN(), Lo: math.NaN(), Hi: math.NaN()}
		}
		if dm == nil {
			dm = &Diff{Mean: math.NaN(), Lo: math.NaN(), Hi: math.NaN()}
		}
		cw.Write([]string{row.Name, row.GC, strconv.Itoa(row.BoxAP.N), num(row.BoxAP.Mean), num(row.BoxAP.SD), num(d.Mean), num(d.Lo), num(d.Hi),
			num(row.MaskAP.Mean), num(row.MaskAP.SD), num(dm.Mean), num(dm.Lo), num(dm.Hi), num(row.Loss.Mean), num(row.Loss.SD), num(row.Seconds.Mean)})
	}
	cw.Flush()
	if err := f.Close(); err != nil {
		return nil, err
	}
	files = append(files, p)

	p = filepath.Join(dir, "ablation.txt")
	tf, err := os.Create(p)
	if err != nil {
		return nil, err
	}
	r.WriteTable(tf)
	if r.Command != "" {
		fmt.Fprintf(tf, "\ncommand: %s\n", r.Command)
	}
	tf.Close()
	files = append(files, p)

	plots, err := r.plotCurves(dir)
	files = append(files, plots...)
	return files, err
}

// plotCurves draws each config's mean total loss, box AP and (with
// masks) mask AP over iterations: the mean over seeds at the iterations
// every seed logged.
func (r *AblationReport) plotCurves(dir string) ([]string, error) {
	var loss, box, msk []Series
	for _, c := range r.Curves {
		l := meanCurve(c.records, func(r Record) (float64, bool) { return r.Loss, r.Losses != nil })
		b := meanCurve(c.records, func(r Record) (float64, bool) { v, ok := r.Eval["bbox/AP"]; return v, ok })
		m := meanCurve(c.records, func(r Record) (float64, bool) { v, ok := r.Eval["segm/AP"]; return v, ok })
		l.Name, b.Name, m.Name = c.name, c.name, c.name
		loss, box = append(loss, l), append(box, b)
		if len(m.X) > 0 {
			msk = append(msk, m)
		}
	}
	var files []string
	for _, p := range []struct {
		file, title, y string
		s              []Series
		log            bool
	}{
		{"ablation_loss.png", "GC ablation: training loss (mean over seeds)", "total loss", loss, true},
		{"ablation_ap.png", "GC ablation: validation box AP (mean over seeds)", "box AP", box, false},
		{"ablation_mask_ap.png", "GC ablation: validation mask AP (mean over seeds)", "mask AP", msk, false},
	} {
		if len(p.s) == 0 {
			continue
		}
		path := filepath.Join(dir, p.file)
		if err := LinePlot(path, p.title, "iteration", p.y, p.s, p.log); err != nil {
			return files, err
		}
		files = append(files, path)
	}
	return files, nil
}

// meanCurve averages, per iteration, the value get picks from each seed's
// records, at the iterations every seed has one.
func meanCurve(seeds [][]Record, get func(Record) (float64, bool)) Series {
	at := map[int][]float64{}
	for _, recs := range seeds {
		for _, r := range recs {
			if v, ok := get(r); ok {
				at[r.Iter] = append(at[r.Iter], v)
			}
		}
	}
	var s Series
	its := make([]int, 0, len(at))
	for it, v := range at {
		if len(v) == len(seeds) {
			its = append(its, it)
		}
	}
	sort.Ints(its)
	for _, it := range its {
		s.X = append(s.X, float64(it))
		s.Y = append(s.Y, mean(at[it]))
	}
	return s
}

// jnum is v for JSON, nil (null) when not finite.
func jnum(v float64) any {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return nil
	}
	return v
}

// MarshalJSON writes NaN as null.
func (s Stat) MarshalJSON() ([]byte, error) {
	return json.Marshal(map[string]any{"mean": jnum(s.Mean), "sd": jnum(s.SD), "n": s.N})
}

// MarshalJSON writes NaN as null.
func (d Diff) MarshalJSON() ([]byte, error) {
	return json.Marshal(map[string]any{"mean": jnum(d.Mean), "lo": jnum(d.Lo), "hi": jnum(d.Hi), "level": d.Level, "n": d.N})
}

// runJSON is AblationRun's JSON form (mask AP null without masks).
type runJSON struct {
	Config  string             `json:"config"`
	Name    string             `json:"name"`
	Seed    uint64             `json:"seed"`
	BoxAP   float64            `json:"box_ap"`
	MaskAP  *float64           `json:"mask_ap"`
	Loss    float64            `json:"final_loss"`
	Losses  map[string]float64 `json:"final_losses"`
	Seconds float64            `json:"train_seconds"`
	Dir     string             `json:"dir"`
}

// MarshalJSON writes a NaN mask AP as null.
func (r AblationRun) MarshalJSON() ([]byte, error) {
	j := runJSON{r.Config, r.Name, r.Seed, r.BoxAP, nil, r.Loss, r.Losses, r.Seconds, r.Dir}
	if !math.IsNaN(r.MaskAP) {
		j.MaskAP = &r.MaskAP
	}
	return json.Marshal(j)
}

// UnmarshalJSON reads a null mask AP as NaN.
func (r *AblationRun) UnmarshalJSON(b []byte) error {
	var j runJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	*r = AblationRun{j.Config, j.Name, j.Seed, j.BoxAP, math.NaN(), j.Loss, j.Losses, j.Seconds, j.Dir}
	if j.MaskAP != nil {
		r.MaskAP = *j.MaskAP
	}
	return nil
}
