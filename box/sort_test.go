package box

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"
)

func itoa(i int) string { return strconv.Itoa(i) }

func fmtInts(v []int32) string { return fmt.Sprint(v) }

// TestGoldenSortTopK checks ArgsortDesc and TopK against torch 1.13's
// Tensor.sort(descending=True) and Tensor.topk on tie-heavy inputs.
func TestGoldenSortTopK(t *testing.T) {
	var fx struct {
		Cases []struct {
			Name    string
			Scores  []float64
			NanAt   []int `json:"nan_at"`
			Argsort []int32
			TopK    map[string][]int32
		}
	}
	loadJSON(t, "sort.json", &fx)
	for _, c := range fx.Cases {
		s := f32s(c.Scores, c.NanAt)
		if got := ArgsortDesc(s); !slices.Equal(got, c.Argsort) {
			t.Errorf("%s: ArgsortDesc differs from torch: %s", c.Name, firstDiff(got, c.Argsort))
		}
		for ks, want := range c.TopK {
			k, _ := strconv.Atoi(ks)
			if got := TopK(s, k); !slices.Equal(got, want) {
				t.Errorf("%s: TopK(%d) differs from torch: %s", c.Name, k, firstDiff(got, want))
			}
		}
	}
}

// TestSortProperties checks on random inputs, including long ones that can
// reach the heapsort fallback, that the results are sorted permutations.
func TestSortProperties(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{0, 1, 2, 3, 15, 16, 17, 100, 1000, 20000} {
		for _, levels := range []int{1, 3, 1 << 20} {
			s := make([]float32, n)
			for i := range s {
				s[i] = float32(rng.IntN(levels))
			}
			order := ArgsortDesc(s)
			checkSortedPerm(t, s, order, n)
			for _, k := range []int{0, 1, n / 64, n / 2, n} {
				top := TopK(s, k)
				checkSortedPerm(t, s, top, min(k, n))
				// The k-th value must be >= every value left out.
				if k > 0 && k < n && s[top[k-1]] < s[order[k]] {
					t.Fatalf("TopK(n=%d, k=%d) misses a larger value", n, k)
				}
			}
		}
	}
}

func checkSortedPerm(t *testing.T, s []float32, idx []int32, wantLen int) {
	t.Helper()
	if len(idx) != wantLen {
		t.Fatalf("length %d, want %d", len(idx), wantLen)
	}
	seen := make(map[int32]bool, len(idx))
	for i, j := range idx {
		if j < 0 || int(j) >= len(s) || seen[j] {
			t.Fatalf("bad or repeated index %d", j)
		}
		seen[j] = true
		if i > 0 && s[idx[i-1]] < s[j] {
			t.Fatalf("not descending at %d", i)
		}
	}
}

func TestTopKPerLevel(t *testing.T) {
	scores := []float32{1, 5, 3, 9, 9, 0, 2, 7}
	idx, levels := TopKPerLevel(scores, []int{3, 1, 4}, 2)
	wantIdx := []int32{1, 2, 3, 4, 7}
	wantLevels := []int32{0, 0, 1, 2, 2}
	if !slices.Equal(idx, wantIdx) || !slices.Equal(levels, wantLevels) {
		t.Errorf("TopKPerLevel = %v, %v, want %v, %v", idx, levels, wantIdx, wantLevels)
	}
}

// TestIntrosortHeapFallback forces the depth budget to zero, the path that
// std::sort takes on adversarial inputs (heapsort), and checks the result
// is a sorted permutation. (Torch equality of the heap primitives is covered
// by the TopK goldens, which use the same heap operations.)
func TestIntrosortHeapFallback(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 3))
	for _, n := range []int{17, 100, 1001} {
		v := make([]float32, n)
		for i := range v {
			v[i] = float32(rng.IntN(7))
		}
		s := scoredOf(v)
		introsortLoop(s, 0, n, 0)
		finalInsertionSort(s, 0, n)
		checkSortedPerm(t, v, indicesOf(s), n)
	}
}
