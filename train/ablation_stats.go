package train

import (
	"math"

	"gonum.org/v1/gonum/stat/distuv"
)

// Stat is the mean and sample standard deviation of n values (SD is NaN
// for n < 2).
type Stat struct {
	Mean float64 `json:"mean"`
	SD   float64 `json:"sd"`
	N    int     `json:"n"`
}

// Summarize computes a Stat, ignoring NaN values.
func Summarize(v []float64) Stat {
	var x []float64
	for _, a := range v {
		if !math.IsNaN(a) {
			x = append(x, a)
		}
	}
	s := Stat{N: len(x), Mean: math.NaN(), SD: math.NaN()}
	if len(x) == 0 {
		return s
	}
	s.Mean = mean(x)
	if len(x) > 1 {
		ss := 0.0
		for _, a := range x {
			ss += (a - s.Mean) * (a - s.Mean)
		}
		s.SD = math.Sqrt(ss / float64(len(x)-1))
	}
	return s
}

// Diff is a difference of means with its confidence interval.
type Diff struct {
	Mean float64 `json:"mean"`
	Lo   float64 `json:"lo"`
	Hi   float64 `json:"hi"`
	// Level is the confidence level (0.95).
	Level float64 `json:"level"`
	N     int     `json:"n"`
}

// PairedDiff is the mean of x[i] - y[i] over the pairs where both are
// known, with a Student t confidence interval at level (two-sided):
// mean ± t(1-(1-level)/2, n-1) · sd / √n. Runs of the same seed form a
// pair (same data order and initialization), which removes the
// seed-to-seed spread both configurations share. With fewer than two
// pairs the bounds are NaN.
func PairedDiff(x, y []float64, level float64) Diff {
	var d []float64
	for i := range x {
		if i < len(y) && !math.IsNaN(x[i]) && !math.IsNaN(y[i]) {
			d = append(d, x[i]-y[i])
		}
	}
	s := Summarize(d)
	out := Diff{Mean: s.Mean, Lo: math.NaN(), Hi: math.NaN(), Level: level, N: s.N}
	if s.N < 2 {
		return out
	}
	half := TQuantile(1-(1-level)/2, float64(s.N-1)) * s.SD / math.Sqrt(float64(s.N))
	out.Lo, out.Hi = s.Mean-half, s.Mean+half
	return out
}

// TQuantile is the p-quantile of Student's t distribution with df degrees
// of freedom.
func TQuantile(p, df float64) float64 {
	return distuv.StudentsT{Mu: 0, Sigma: 1, Nu: df}.Quantile(p)
}
