package train

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"
)

// progress draws a one-line bar with the iteration, loss, learning rate
// and ETA on a terminal, redrawn in place at most every 200 ms. On
// anything else it draws nothing (the periodic log lines report progress).
type progress struct {
	mu      sync.Mutex
	w       io.Writer
	on      bool
	total   int
	start   time.Time
	first   int
	last    time.Time
	visible bool
}

func newProgress(w io.Writer, first, total int, enabled bool) *progress {
	return &progress{w: w, on: enabled && isTerminal(w), first: first, total: total, start: time.Now()}
}

// reset starts the bar over for iterations first..total.
func (p *progress) reset(first, total int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.first, p.total, p.start = first, total, time.Now()
}

// update redraws the bar after iteration iter (1-based count done).
func (p *progress) update(done int, loss, lr float64) {
	if !p.on {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	now := time.Now()
	if now.Sub(p.last) < 200*time.Millisecond && done < p.total {
		return
	}
	p.last = now
	fmt.Fprint(p.w, "\r"+progressLine(done, p.first, p.total, now.Sub(p.start), loss, lr, 30)+"\x1b[K")
	p.visible = true
}

// clear erases the bar so a log line can be printed.
func (p *progress) clear() {
	if !p.on {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.visible {
		fmt.Fprint(p.w, "\r\x1b[K")
		p.visible = false
	}
}

// progressLine formats the bar: done of total, with the ETA extrapolated
// from the iterations run in this process (first is where it started).
func progressLine(done, first, total int, elapsed time.Duration, loss, lr float64, width int) string {
	frac := float64(done) / float64(max(total, 1))
	fill := int(frac * float64(width))
	bar := strings.Repeat("=", fill)
	if fill < width {
		bar += ">" + strings.Repeat(" ", width-fill-1)
	}
	eta := "?"
	if n := done - first; n > 0 {
		rem := time.Duration(float64(elapsed) / float64(n) * float64(total-done))
		eta = rem.Round(time.Second).String()
	}
	return fmt.Sprintf("[%s] %d/%d %3.0f%% loss %.4f lr %.2e ETA %s", bar, done, total, 100*frac, loss, lr, eta)
}
