package roi

import (
	"fmt"
	"runtime"
	"sync"

	"github.com/gcdet/gcdet/coco/mask"
)

// Select returns the detections at positions keep, with their masks.
func (d Detections) Select(keep []int32) Detections {
	out := Detections{Boxes: d.Boxes.Select(keep), Scores: pick(d.Scores, keep), Labels: pick(d.Labels, keep), MaskSize: d.MaskSize}
	if d.MaskProbs != nil {
		mm := d.MaskSize * d.MaskSize
		out.MaskProbs = make([]float32, len(keep)*mm)
		for k, i := range keep {
			copy(out.MaskProbs[k*mm:(k+1)*mm], d.MaskProbs[int(i)*mm:(int(i)+1)*mm])
		}
	}
	if d.Masks != nil {
		out.Masks = pick(d.Masks, keep)
	}
	return out
}

// PasteMasks sets d.Masks: each detection's MaskProbs pasted at its box
// (d.Boxes, already in the pixels of the h x w image) by rule and
// binarized at threshold. With mirrored, the boxes are those of a
// left-right flipped input mapped back, so each mask is mirrored first.
// Detections are pasted in parallel.
func (d *Detections) PasteMasks(h, w int, rule PasteRule, threshold float32, mirrored bool) {
	m := d.MaskSize
	if len(d.MaskProbs) != d.Len()*m*m {
		panic(fmt.Sprintf("roi.Detections.PasteMasks: %d mask values for %d detections of %dx%d", len(d.MaskProbs), d.Len(), m, m))
	}
	d.Masks = make([]mask.RLE, d.Len())
	var wg sync.WaitGroup
	next := make(chan int)
	for range min(runtime.GOMAXPROCS(0), d.Len()) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var flip []float32
			for k := range next {
				probs := d.MaskProbs[k*m*m : (k+1)*m*m]
				if mirrored {
					if flip == nil {
						flip = make([]float32, m*m)
					}
					for y := range m {
						for x := range m {
							flip[y*m+x] = probs[y*m+m-1-x]
						}
					}
					probs = flip
				}
				b := d.Boxes[4*k : 4*k+4]
				d.Masks[k] = PasteMask(probs, m, [4]float32{b[0], b[1], b[2], b[3]}, h, w, rule, threshold)
			}
		}()
	}
	for k := range d.Len() {
		next <- k
	}
	close(next)
	wg.Wait()
}
