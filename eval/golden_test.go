package eval

import (
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"testing"
)

// readGz reads a gzipped testdata file.
func readGz(t testing.TB, name string) []byte {
	t.Helper()
	f, err := os.Open("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	z, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(z)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// The expected numbers are pycocotools' on ../shared/data/coco-eval (100
// val2014 images, the official fake results), as listed in that folder's
// README; testdata holds gzipped copies of the three files.
var goldenStats = map[IoUType]Stats{
	BBox: {0.5045806987249628, 0.6969727247299577, 0.5729816669904824, 0.5856257209410443, 0.5193996948036719, 0.5013978986347466, 0.38681277964578054, 0.5936795762842003, 0.595352982877607, 0.6398109626113442, 0.5664205978994309, 0.5642905982905982},
	Segm: {0.3195452758576433, 0.5622883972521636, 0.29892653412086784, 0.3873740315997838, 0.31018272403369485, 0.3269339071005138, 0.2682297225711534, 0.41544868114906375, 0.4168394992198818, 0.4694498622754236, 0.37675922666197265, 0.3814715099715099},
}

func TestGoldenCocoEval(t *testing.T) {
	gt, err := ParseGT(readGz(t, "instances_val2014_100.json.gz"))
	if err != nil {
		t.Fatal(err)
	}
	for _, typ := range []IoUType{BBox, Segm} {
		dets, err := ParseResults(readGz(t, "instances_val2014_fake"+string(typ)+"100_results.json.gz"), gt)
		if err != nil {
			t.Fatal(err)
		}
		res, err := Evaluate(gt, dets, DefaultParams(typ))
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		res.WriteSummary(&buf)
		t.Logf("%s:\n%s", typ, buf.String())
		for i, want := range goldenStats[typ] {
			if got := res.Stats[i]; got != want {
				t.Errorf("%s %s = %v, want %v (diff %g)", typ, StatNames[i], got, want, got-want)
			}
		}
	}
}
