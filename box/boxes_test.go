package box

import (
	"slices"
	"testing"
)

func TestBoxesBasics(t *testing.T) {
	b := Boxes{0, 0, 10, 20, 5, 5, 5, 9, -3, -4, 300, 2}
	if b.Len() != 3 {
		t.Fatalf("Len = %d", b.Len())
	}
	if got, want := b.Area(), []float32{200, 0, 303 * 6}; !slices.Equal(got, want) {
		t.Errorf("Area = %v, want %v", got, want)
	}
	c := b.Clone()
	c.Clip(10, 100)
	if want := (Boxes{0, 0, 10, 10, 5, 5, 5, 9, 0, 0, 100, 2}); !slices.Equal(c, want) {
		t.Errorf("Clip = %v, want %v", c, want)
	}
	if b[2] != 10 || b[11] != 2 || b[10] != 300 {
		t.Errorf("Clip modified the original: %v", b)
	}
	s := b.Select([]int32{2, 0})
	if want := (Boxes{-3, -4, 300, 2, 0, 0, 10, 20}); !slices.Equal(s, want) {
		t.Errorf("Select = %v, want %v", s, want)
	}
	s.ScaleInPlace(2, 0.5)
	if want := (Boxes{-6, -2, 600, 1, 0, 0, 20, 10}); !slices.Equal(s, want) {
		t.Errorf("ScaleInPlace = %v, want %v", s, want)
	}
	xywh := b.XYWH()
	if want := []float32{0, 0, 10, 20, 5, 5, 0, 4, -3, -4, 303, 6}; !slices.Equal(xywh, want) {
		t.Errorf("XYWH = %v, want %v", xywh, want)
	}
	if back := FromXYWH(xywh); !slices.Equal(back, b) {
		t.Errorf("FromXYWH(XYWH(b)) = %v, want %v", back, b)
	}
}

func TestRemoveSmallAndNonempty(t *testing.T) {
	b := Boxes{
		0, 0, 10, 10, // 10 x 10
		0, 0, 4, 10, // 4 wide
		0, 0, 0, 5, // zero width
		0, 0, 4.5, 4.5,
	}
	tests := []struct {
		name string
		got  []int32
		want []int32
	}{
		{"RemoveSmall(0)", b.RemoveSmall(0), []int32{0, 1, 2, 3}},
		{"RemoveSmall(4)", b.RemoveSmall(4), []int32{0, 1, 3}},
		{"RemoveSmall(4.5)", b.RemoveSmall(4.5), []int32{0, 3}},
		{"RemoveSmall(11)", b.RemoveSmall(11), []int32{}},
		{"Nonempty(0)", b.Nonempty(0), []int32{0, 1, 3}},
		{"Nonempty(4)", b.Nonempty(4), []int32{0, 3}},
		{"Nonempty(4.5)", b.Nonempty(4.5), []int32{0}},
	}
	for _, tc := range tests {
		if !slices.Equal(tc.got, tc.want) {
			t.Errorf("%s = %v, want %v", tc.name, tc.got, tc.want)
		}
	}
}

func TestIoUTable(t *testing.T) {
	tests := []struct {
		name string
		a, b Boxes
		want float32
	}{
		{"identical", Boxes{0, 0, 10, 10}, Boxes{0, 0, 10, 10}, 1},
		{"half", Boxes{0, 0, 10, 10}, Boxes{5, 0, 15, 10}, 50.0 / 150},
		{"contained", Boxes{0, 0, 10, 10}, Boxes{0, 0, 5, 5}, 0.25},
		{"touching", Boxes{0, 0, 10, 10}, Boxes{10, 0, 20, 10}, 0},
		{"disjoint", Boxes{0, 0, 10, 10}, Boxes{20, 20, 30, 30}, 0},
		{"zero area inside", Boxes{0, 0, 10, 10}, Boxes{5, 5, 5, 8}, 0},
	}
	for _, tc := range tests {
		if got := IoU(tc.a, tc.b); len(got) != 1 || got[0] != tc.want {
			t.Errorf("%s: IoU = %v, want %v", tc.name, got, tc.want)
		}
	}
	if got := IoU(Boxes{}, Boxes{0, 0, 1, 1}); len(got) != 0 {
		t.Errorf("IoU of no boxes = %v", got)
	}
}

func TestLenPanicsOnBadLength(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("Len of 5 values did not panic")
		}
	}()
	Boxes{1, 2, 3, 4, 5}.Len()
}
