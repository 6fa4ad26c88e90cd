package box

import (
	"slices"
	"testing"
)

func TestMatcherTable(t *testing.T) {
	// 2 ground truths x 5 predictions.
	q := []float32{
		0.8, 0.5, 0.1, 0.2, 0.0,
		0.9, 0.6, 0.2, 0.2, 0.0,
	}
	tests := []struct {
		name      string
		high, low float64
		allow     bool
		want      []int32
	}{
		{"rpn", 0.7, 0.3, false, []int32{1, -2, -1, -1, -1}},
		// gt 0's best is 0.8 (pred 0, already gt 1's); gt 1's best is 0.9.
		{"rpn low quality", 0.7, 0.3, true, []int32{1, -2, -1, -1, -1}},
		{"roi", 0.5, 0.5, false, []int32{1, 1, -1, -1, -1}},
	}
	for _, tc := range tests {
		m, err := NewMatcher(tc.high, tc.low, tc.allow)
		if err != nil {
			t.Fatal(err)
		}
		if got := m.Match(q, 2, 5); !slices.Equal(got, tc.want) {
			t.Errorf("%s: Match = %v, want %v", tc.name, got, tc.want)
		}
	}
	// Low-quality matches: gt 0 only overlaps weakly, with a tie.
	q = []float32{
		0.2, 0.2, 0.1,
		0.0, 0.1, 0.9,
	}
	m, _ := NewMatcher(0.7, 0.3, true)
	if got, want := m.Match(q, 2, 3), []int32{0, 0, 1}; !slices.Equal(got, want) {
		t.Errorf("low-quality ties: Match = %v, want %v", got, want)
	}
}

func TestMatcherEmpty(t *testing.T) {
	m, _ := NewMatcher(0.7, 0.3, true)
	if got, want := m.Match(nil, 0, 3), []int32{-1, -1, -1}; !slices.Equal(got, want) {
		t.Errorf("no ground truth: Match = %v, want %v", got, want)
	}
	if got := m.Match(nil, 4, 0); len(got) != 0 {
		t.Errorf("no predictions: Match = %v", got)
	}
	if _, err := NewMatcher(0.3, 0.7, false); err == nil {
		t.Error("NewMatcher accepted low > high")
	}
}
