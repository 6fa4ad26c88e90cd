package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gcdet/gcdet/coco"
)

func TestDataCommand(t *testing.T) {
	ann, images := "../../coco/testdata/mini/instances.json", "../../coco/testdata/mini/images"
	var out, errb bytes.Buffer
	if code := run([]string{"data", "--ann", ann, "--images", images}, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	for _, want := range []string{"images: 3 (0 without annotations)", "annotations: 36 (1 crowd, 35 polygon, 1 RLE)", "categories: 80", "problems: 0 errors, 0 warnings"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	out.Reset()
	if code := run([]string{"data", "--ann", ann, "--json"}, &out, &errb); code != 0 {
		t.Fatalf("--json exit %d", code)
	}
	var rep coco.Report
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil || rep.Summary.Annotations != 36 || len(rep.Summary.PerCategory) != 80 {
		t.Fatalf("--json output: %v %+v", err, rep.Summary)
	}

	// Problems are reported (exit 0), fatal with --strict (exit 1).
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.json")
	os.WriteFile(bad, []byte(`{"images":[{"id":4,"file_name":"gone.jpg","width":5,"height":5}],"categories":[{"id":1,"name":"a"}],
		"annotations":[{"id":9,"image_id":4,"category_id":1,"bbox":[0,0,-1,2],"area":1,"iscrowd":0}]}`), 0o644)
	out.Reset()
	if code := run([]string{"data", "--ann", bad, "--images", dir}, &out, &errb); code != 0 {
		t.Fatalf("problems should not fail without --strict: %d", code)
	}
	for _, want := range []string{"degenerate_bbox image=4 annotation=9", "missing_image image=4 file=gone.jpg"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	if code := run([]string{"data", "--ann", bad, "--strict"}, &out, &errb); code != 1 {
		t.Fatalf("--strict exit %d", code)
	}
	// Unreadable JSON is fatal.
	os.WriteFile(bad, []byte(`{"images":[`), 0o644)
	errb.Reset()
	if code := run([]string{"data", "--ann", bad}, &out, &errb); code != 1 || !strings.Contains(errb.String(), "truncated") {
		t.Fatalf("truncated JSON: exit %d, %s", code, errb.String())
	}
	if code := run([]string{"data"}, &out, &errb); code != 2 {
		t.Fatalf("no --ann: exit %d", code)
	}
}

func TestSynthCommand(t *testing.T) {
	dir := t.TempDir()
	var out, errb bytes.Buffer
	if code := run([]string{"synth", "--out", dir, "--seed", "3", "--train", "5", "--val", "2", "--size", "64"}, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	d, err := coco.LoadFile(filepath.Join(dir, "annotations", "instances_train.json"), filepath.Join(dir, "train"))
	if err != nil || len(d.Images) != 5 {
		t.Fatalf("%v, %d images", err, len(d.Images))
	}
	if code := run([]string{"synth", "--out", dir, "--size", "4"}, &out, &errb); code != 1 {
		t.Fatalf("bad size: exit %d", code)
	}
	if code := run([]string{"synth"}, &out, &errb); code != 2 {
		t.Fatalf("no --out: exit %d", code)
	}
}
