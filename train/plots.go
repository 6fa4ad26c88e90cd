package train

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
)

// Series is one line of a plot.
type Series struct {
	Name string
	X, Y []float64
}

// LinePlot writes a PNG line plot of the series (points with non-finite
// values are left out). logY draws the y axis in log scale (for falling
// curves: the legend goes top right); otherwise the legend goes top left,
// out of the way of rising curves such as AP.
func LinePlot(path, title, xLabel, yLabel string, series []Series, logY bool) error {
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = xLabel
	p.Y.Label.Text = yLabel
	p.Legend.Top = true
	p.Legend.Left = !logY
	if logY {
		p.Y.Scale = plot.LogScale{}
		p.Y.Tick.Marker = plot.LogTicks{Prec: -1}
	}
	p.Add(plotter.NewGrid())
	drawn := 0
	for i, s := range series {
		var xy plotter.XYs
		for j := range s.X {
			y := s.Y[j]
			if math.IsNaN(y) || math.IsInf(y, 0) || (logY && y <= 0) {
				continue
			}
			xy = append(xy, plotter.XY{X: s.X[j], Y: y})
		}
		if len(xy) == 0 {
			continue
		}
		l, err := plotter.NewLine(xy)
		if err != nil {
			return err
		}
		l.Color = plotutil.Color(i)
		l.Width = vg.Points(1.5)
		p.Add(l)
		if len(xy) == 1 || len(xy) < 12 {
			sc, err := plotter.NewScatter(xy)
			if err == nil {
				sc.Color = l.Color
				p.Add(sc)
			}
		}
		p.Legend.Add(s.Name, l)
		drawn++
	}
	if drawn == 0 {
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return p.Save(7*vg.Inch, 4.5*vg.Inch, path)
}

// PlotMetrics draws losses.png, lr.png and ap.png from metrics records
// into dir and returns the files written.
func PlotMetrics(records []Record, dir string) ([]string, error) {
	losses := map[string]*Series{}
	total := &Series{Name: "total"}
	lr := &Series{Name: "learning rate"}
	ap := map[string]*Series{}
	for _, r := range records {
		x := float64(r.Iter)
		if r.Losses != nil {
			total.X, total.Y = append(total.X, x), append(total.Y, r.Loss)
			lr.X, lr.Y = append(lr.X, x), append(lr.Y, r.LR)
			for k, v := range r.Losses {
				s := losses[k]
				if s == nil {
					s = &Series{Name: k}
					losses[k] = s
				}
				s.X, s.Y = append(s.X, x), append(s.Y, v)
			}
		}
		for _, k := range []string{"bbox/AP", "bbox/AP50", "segm/AP", "segm/AP50"} {
			if v, ok := r.Eval[k]; ok {
				s := ap[k]
				if s == nil {
					s = &Series{Name: k}
					ap[k] = s
				}
				s.X, s.Y = append(s.X, x), append(s.Y, v)
			}
		}
	}
	var files []string
	if len(total.X) > 0 {
		ss := []Series{*total}
		for _, k := range sortedKeys(losses) {
			ss = append(ss, *losses[k])
		}
		p := filepath.Join(dir, "losses.png")
		if err := LinePlot(p, "training losses (median of the log window)", "iteration", "loss", ss, true); err != nil {
			return files, fmt.Errorf("%s: %v", p, err)
		}
		files = append(files, p)
		p = filepath.Join(dir, "lr.png")
		if err := LinePlot(p, "learning rate", "iteration", "lr", []Series{*lr}, false); err != nil {
			return files, fmt.Errorf("%s: %v", p, err)
		}
		files = append(files, p)
	}
	if len(ap) > 0 {
		var ss []Series
		for _, k := range sortedKeys(ap) {
			ss = append(ss, *ap[k])
		}
		p := filepath.Join(dir, "ap.png")
		if err := LinePlot(p, "validation AP", "iteration", "AP", ss, false); err != nil {
			return files, fmt.Errorf("%s: %v", p, err)
		}
		files = append(files, p)
	}
	return files, nil
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
