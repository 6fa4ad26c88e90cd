package eval

import (
	"fmt"
	"io"
	"strconv"
	"strings"
)

// StatNames names the 12 summary numbers, in pycocotools' order.
var StatNames = [12]string{"AP", "AP50", "AP75", "APs", "APm", "APl", "AR1", "AR10", "AR100", "ARs", "ARm", "ARl"}

// Stats are COCOeval.stats: AP at IoU .50:.95, .50, .75, AP small, medium,
// large, AR at maxDets 1, 10, 100, AR small, medium, large; -1 where
// undefined.
type Stats [12]float64

// summaryLine is one of _summarizeDets' calls.
type summaryLine struct {
	ap      bool
	iouThr  float64 // 0: all thresholds
	area    string
	maxDets int // index into MaxDets, or -1 for the literal 100
}

var summaryLines = [12]summaryLine{
	{true, 0, "all", -1},
	{true, .5, "all", 2},
	{true, .75, "all", 2},
	{true, 0, "small", 2},
	{true, 0, "medium", 2},
	{true, 0, "large", 2},
	{false, 0, "all", 0},
	{false, 0, "all", 1},
	{false, 0, "all", 2},
	{false, 0, "small", 2},
	{false, 0, "medium", 2},
	{false, 0, "large", 2},
}

// summarize fills Stats and PerCategory.
func (r *Result) summarize(gt *GT) {
	// One buffer for the selected entries of every mean.
	vals := make([]float64, 0, len(r.Params.IoUThrs)*max(r.R, 1)*r.K)
	for i, l := range summaryLines {
		r.Stats[i] = r.summaryValue(l, vals)
	}
	if !r.Params.UseCats {
		return
	}
	for k, id := range r.Params.CatIDs {
		vals = vals[:0]
		for t := 0; t < r.T; t++ {
			for ri := 0; ri < r.R; ri++ {
				if v := r.Precision[r.pIndex(t, ri, k, 0, r.M-1)]; v > -1 {
					vals = append(vals, v)
				}
			}
		}
		r.PerCategory = append(r.PerCategory, CategoryAP{ID: id, Name: gt.catName[id], AP: npMean(vals)})
	}
}

// maxDetsOf resolves a summary line's maxDets: ok false when MaxDets has
// no such entry (pycocotools would raise IndexError).
func (r *Result) maxDetsOf(l summaryLine) (int, bool) {
	if l.maxDets < 0 {
		return 100, true
	}
	if l.maxDets >= len(r.Params.MaxDets) {
		return 0, false
	}
	return r.Params.MaxDets[l.maxDets], true
}

// summaryValue is _summarize: the numpy mean of the selected entries that
// are > -1, in C order (t, r, k), or -1 if none.
// buf is scratch space.
func (r *Result) summaryValue(l summaryLine, buf []float64) float64 {
	p := &r.Params
	maxDets, ok := r.maxDetsOf(l)
	if !ok {
		return -1
	}
	var ts []int
	for t, v := range p.IoUThrs {
		if l.iouThr == 0 || v == l.iouThr {
			ts = append(ts, t)
		}
	}
	a, m := -1, -1
	for i, lbl := range p.AreaRngLbl {
		if lbl == l.area {
			a = i
		}
	}
	for i, md := range p.MaxDets {
		if md == maxDets {
			m = i
		}
	}
	if a < 0 || m < 0 {
		return -1
	}
	vals := buf[:0]
	for _, t := range ts {
		if l.ap {
			for ri := 0; ri < r.R; ri++ {
				for k := 0; k < r.K; k++ {
					if v := r.Precision[r.pIndex(t, ri, k, a, m)]; v > -1 {
						vals = append(vals, v)
					}
				}
			}
		} else {
			for k := 0; k < r.K; k++ {
				if v := r.Recall[r.rIndex(t, k, a, m)]; v > -1 {
					vals = append(vals, v)
				}
			}
		}
	}
	return npMean(vals)
}

// npMean is numpy.mean of a contiguous float64 array, bit for bit: the
// reduction runs over 8192-element buffers, each summed pairwise, and the
// sum is divided by the count. An empty array gives -1 (summarize's rule).
func npMean(a []float64) float64 {
	if len(a) == 0 {
		return -1
	}
	s := 0.0
	for i := 0; i < len(a); i += 8192 {
		s += pairwiseSum(a[i:min(i+8192, len(a))])
	}
	return s / float64(len(a))
}

// pairwiseSum is numpy's pairwise_sum for doubles.
func pairwiseSum(a []float64) float64 {
	n := len(a)
	switch {
	case n < 8:
		s := 0.0
		for _, v := range a {
			s += v
		}
		return s
	case n <= 128:
		var r [8]float64
		copy(r[:], a[:8])
		i := 8
		for ; i < n-n%8; i += 8 {
			for j := 0; j < 8; j++ {
				r[j] += a[i+j]
			}
		}
		s := ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]))
		for ; i < n; i++ {
			s += a[i]
		}
		return s
	default:
		n2 := n / 2
		n2 -= n2 % 8
		return pairwiseSum(a[:n2]) + pairwiseSum(a[n2:])
	}
}

// WriteSummary prints pycocotools' 12-line summary.
func (r *Result) WriteSummary(w io.Writer) error {
	p := &r.Params
	var b strings.Builder
	for i, l := range summaryLines {
		title, typ := "Average Precision", "(AP)"
		if !l.ap {
			title, typ = "Average Recall", "(AR)"
		}
		iou := fmt.Sprintf("%0.2f:%0.2f", p.IoUThrs[0], p.IoUThrs[len(p.IoUThrs)-1])
		if l.iouThr != 0 {
			iou = fmt.Sprintf("%0.2f", l.iouThr)
		}
		md, _ := r.maxDetsOf(l)
		fmt.Fprintf(&b, " %-18s %s @[ IoU=%-9s | area=%6s | maxDets=%3d ] = %0.3f\n", title, typ, iou, l.area, md, r.Stats[i])
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// WritePerCategory prints the per-category AP table.
func (r *Result) WritePerCategory(w io.Writer) error {
	if len(r.PerCategory) == 0 {
		return nil
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Per-category %s AP (IoU=0.50:0.95, area=%s, maxDets=%d):\n", r.Params.IoUType, r.Params.AreaRngLbl[0], r.Params.MaxDets[r.M-1])
	fmt.Fprintf(&b, "  %8s  %-20s  %s\n", "id", "category", "AP")
	for _, c := range r.PerCategory {
		fmt.Fprintf(&b, "  %8d  %-20s  %0.3f\n", c.ID, c.Name, c.AP)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// JSON returns the stats as one JSON object with StatNames keys, in order,
// every value a float at full precision (shortest round-trip form, always
// with a decimal point or exponent; -1.0 where undefined).
func (s Stats) JSON() []byte {
	b := []byte{'{'}
	for i, name := range StatNames {
		if i > 0 {
			b = append(b, ", "...)
		}
		b = strconv.AppendQuote(b, name)
		b = append(b, ": "...)
		b = appendFloat(b, s[i])
	}
	return append(b, '}')
}

// appendFloat writes v like Python's repr(float).
func appendFloat(b []byte, v float64) []byte {
	start := len(b)
	if a := abs(v); a != 0 && (a < 1e-4 || a >= 1e16) {
		b = strconv.AppendFloat(b, v, 'e', -1, 64)
	} else {
		b = strconv.AppendFloat(b, v, 'f', -1, 64)
	}
	if !strings.ContainsAny(string(b[start:]), ".eEn") {
		b = append(b, ".0"...)
	}
	return b
}

func abs(v float64) float64 {
	if v < 0 {
		return -v
	}
	return v
}
