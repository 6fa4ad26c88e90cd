package box

import (
	"math/rand/v2"
	"slices"
	"testing"
)

func TestSamplerProperties(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	tests := []struct {
		name             string
		batch            int
		frac             float64
		nPos, nNeg, nIgn int
		wantPos, wantNeg int
	}{
		{"rpn plenty", 256, 0.5, 500, 5000, 300, 128, 128},
		{"rpn few positives", 256, 0.5, 10, 5000, 30, 10, 246},
		{"roi", 512, 0.25, 300, 2000, 0, 128, 384},
		{"few negatives", 512, 0.25, 3, 20, 7, 3, 20},
		{"nothing eligible", 256, 0.5, 0, 0, 50, 0, 0},
		{"zero batch", 0, 0.5, 10, 10, 0, 0, 0},
	}
	for _, tc := range tests {
		s, err := NewSampler(tc.batch, tc.frac)
		if err != nil {
			t.Fatal(err)
		}
		labels := make([]int32, 0, tc.nPos+tc.nNeg+tc.nIgn)
		for range tc.nPos {
			labels = append(labels, int32(1+rng.IntN(80)))
		}
		for range tc.nNeg {
			labels = append(labels, 0)
		}
		for range tc.nIgn {
			labels = append(labels, int32(-1-rng.IntN(2)))
		}
		rng.Shuffle(len(labels), func(i, j int) { labels[i], labels[j] = labels[j], labels[i] })
		pos, neg := s.Sample(labels, rng)
		if len(pos) != tc.wantPos || len(neg) != tc.wantNeg {
			t.Errorf("%s: %d positives, %d negatives, want %d, %d", tc.name, len(pos), len(neg), tc.wantPos, tc.wantNeg)
		}
		for _, set := range []struct {
			idx []int32
			ok  func(int32) bool
		}{{pos, func(l int32) bool { return l >= 1 }}, {neg, func(l int32) bool { return l == 0 }}} {
			if !slices.IsSorted(set.idx) {
				t.Errorf("%s: indices not ascending", tc.name)
			}
			for k, i := range set.idx {
				if k > 0 && set.idx[k-1] == i {
					t.Errorf("%s: index %d drawn twice", tc.name, i)
				}
				if !set.ok(labels[i]) {
					t.Errorf("%s: index %d has ineligible label %d", tc.name, i, labels[i])
				}
			}
		}
	}
}

// TestSamplerUniformAndSeeded checks that the same seed gives the same draw
// and that every positive is drawn about equally often.
func TestSamplerUniformAndSeeded(t *testing.T) {
	labels := make([]int32, 40)
	for i := range 20 {
		labels[2*i] = 1
	}
	s, _ := NewSampler(10, 0.5) // 5 of 20 positives, 5 of 20 negatives
	p1, n1 := s.Sample(labels, rand.New(rand.NewPCG(7, 7)))
	p2, n2 := s.Sample(labels, rand.New(rand.NewPCG(7, 7)))
	if !slices.Equal(p1, p2) || !slices.Equal(n1, n2) {
		t.Fatal("same seed gave different draws")
	}
	rng := rand.New(rand.NewPCG(8, 9))
	counts := make([]int, len(labels))
	const trials = 4000
	for range trials {
		pos, _ := s.Sample(labels, rng)
		for _, i := range pos {
			counts[i]++
		}
	}
	// Expected 4000*5/20 = 1000 per positive; sd ~ 27.
	for i, c := range counts {
		if labels[i] == 1 && (c < 880 || c > 1120) {
			t.Errorf("positive %d drawn %d times in %d trials, want about 1000", i, c, trials)
		}
	}
}

func TestNewSamplerErrors(t *testing.T) {
	for _, tc := range []struct {
		batch int
		frac  float64
	}{{-1, 0.5}, {10, -0.1}, {10, 1.5}} {
		if _, err := NewSampler(tc.batch, tc.frac); err == nil {
			t.Errorf("NewSampler(%d, %v) accepted", tc.batch, tc.frac)
		}
	}
}
