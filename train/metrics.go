package train

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
)

// Record is one line of metrics.jsonl: a training log point (Losses, LR,
// timings) or an evaluation (Eval, keyed "bbox/AP", "bbox/AP50", ...).
type Record struct {
	Iter     int                `json:"iter"`
	Time     float64            `json:"time"` // seconds of training so far
	LR       float64            `json:"lr,omitempty"`
	Loss     float64            `json:"loss,omitempty"`
	Losses   map[string]float64 `json:"losses,omitempty"`
	GradNorm float64            `json:"grad_norm,omitempty"`
	IterTime float64            `json:"iter_time,omitempty"` // seconds per iteration, median of the window
	DataTime float64            `json:"data_time,omitempty"`
	Eval     map[string]float64 `json:"eval,omitempty"`
}

// metricsLog appends records to a JSON lines file.
type metricsLog struct {
	f *os.File
}

// openMetrics opens path for appending, first dropping records after
// iteration keepUpTo (a resumed run replays them), or every record when
// keepUpTo < 0.
func openMetrics(path string, keepUpTo int) (*metricsLog, []Record, error) {
	var kept []Record
	if keepUpTo >= 0 {
		if b, err := os.ReadFile(path); err == nil {
			var buf bytes.Buffer
			sc := bufio.NewScanner(bytes.NewReader(b))
			sc.Buffer(make([]byte, 1<<20), 1<<26)
			for sc.Scan() {
				var r Record
				if json.Unmarshal(sc.Bytes(), &r) != nil || r.Iter > keepUpTo {
					continue
				}
				kept = append(kept, r)
				buf.Write(sc.Bytes())
				buf.WriteByte('\n')
			}
			if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
				return nil, nil, err
			}
		}
	} else {
		os.Remove(path)
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return nil, nil, err
	}
	return &metricsLog{f: f}, kept, nil
}

func (m *metricsLog) write(r Record) error {
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	_, err = m.f.Write(append(b, '\n'))
	return err
}

func (m *metricsLog) close() error { return m.f.Close() }

// ReadMetrics reads a metrics.jsonl file.
func ReadMetrics(path string) ([]Record, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var out []Record
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 1<<20), 1<<26)
	for sc.Scan() {
		var r Record
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, sc.Err()
}
