package main

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// evalTestFile un-gzips ../../eval/testdata/name into dir.
func evalTestFile(t *testing.T, dir, name string) string {
	t.Helper()
	f, err := os.Open(filepath.Join("..", "..", "eval", "testdata", name+".gz"))
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
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func evalRun(args ...string) (code int, stdout, stderr string) {
	var o, e bytes.Buffer
	code = run(append([]string{"eval"}, args...), &o, &e)
	return code, o.String(), e.String()
}

// pycocotools' printed summary for the official fake bbox results.
const pycocoBBoxSummary = ` Average Precision  (AP) @[ IoU=0.50:0.95 | area=   all | maxDets=100 ] = 0.505
 Average Precision  (AP) @[ IoU=0.50      | area=   all | maxDets=100 ] = 0.697
 Average Precision  (AP) @[ IoU=0.75      | area=   all | maxDets=100 ] = 0.573
 Average Precision  (AP) @[ IoU=0.50:0.95 | area= small | maxDets=100 ] = 0.586
 Average Precision  (AP) @[ IoU=0.50:0.95 | area=medium | maxDets=100 ] = 0.519
 Average Precision  (AP) @[ IoU=0.50:0.95 | area= large | maxDets=100 ] = 0.501
 Average Recall     (AR) @[ IoU=0.50:0.95 | area=   all | maxDets=  1 ] = 0.387
 Average Recall     (AR) @[ IoU=0.50:0.95 | area=   all | maxDets= 10 ] = 0.594
 Average Recall     (AR) @[ IoU=0.50:0.95 | area=   all | maxDets=100 ] = 0.595
 Average Recall     (AR) @[ IoU=0.50:0.95 | area= small | maxDets=100 ] = 0.640
 Average Recall     (AR) @[ IoU=0.50:0.95 | area=medium | maxDets=100 ] = 0.566
 Average Recall     (AR) @[ IoU=0.50:0.95 | area= large | maxDets=100 ] = 0.564
`

func TestEvalCommand(t *testing.T) {
	dir := t.TempDir()
	gt := evalTestFile(t, dir, "instances_val2014_100.json")
	bbox := evalTestFile(t, dir, "instances_val2014_fakebbox100_results.json")
	segm := evalTestFile(t, dir, "instances_val2014_fakesegm100_results.json")

	code, out, errOut := evalRun("--gt", gt, "--dt", bbox, "--iou-type", "bbox")
	if code != 0 || !strings.HasPrefix(out, pycocoBBoxSummary) {
		t.Fatalf("exit %d, stderr %q, stdout:\n%s", code, errOut, out)
	}
	if !strings.Contains(out, "Per-category bbox AP") || !strings.Contains(out, "person") {
		t.Errorf("no per-category table:\n%s", out)
	}

	code, out, errOut = evalRun("--gt", gt, "--dt", segm, "--iou-type", "segm", "--json")
	if code != 0 || errOut != "" {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	// Exactly one JSON object, the 12 keys, full precision.
	dec := json.NewDecoder(strings.NewReader(out))
	var got map[string]float64
	if err := dec.Decode(&got); err != nil {
		t.Fatalf("%v in %q", err, out)
	}
	if rest, _ := io.ReadAll(dec.Buffered()); strings.TrimSpace(string(rest)) != "" {
		t.Errorf("extra output after the object: %q", rest)
	}
	want := map[string]float64{"AP": 0.3195452758576433, "AP50": 0.5622883972521636, "AP75": 0.29892653412086784,
		"APs": 0.3873740315997838, "APm": 0.31018272403369485, "APl": 0.3269339071005138, "AR1": 0.2682297225711534,
		"AR10": 0.41544868114906375, "AR100": 0.4168394992198818, "ARs": 0.4694498622754236,
		"ARm": 0.37675922666197265, "ARl": 0.3814715099715099}
	if len(got) != 12 {
		t.Errorf("%d keys: %v", len(got), got)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %v want %v", k, got[k], v)
		}
	}
	keys := []string{`"AP"`, `"AP50"`, `"AP75"`, `"APs"`, `"APm"`, `"APl"`, `"AR1"`, `"AR10"`, `"AR100"`, `"ARs"`, `"ARm"`, `"ARl"`}
	last := -1
	for _, k := range keys {
		i := strings.Index(out, k)
		if i <= last {
			t.Errorf("key %s out of order in %s", k, out)
		}
		last = i
	}
}

func TestEvalCommandErrors(t *testing.T) {
	dir := t.TempDir()
	gt := evalTestFile(t, dir, "instances_val2014_100.json")
	write := func(name, s string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	for _, c := range []struct {
		name     string
		args     []string
		contains string
	}{
		{"malformed results", []string{"--gt", gt, "--dt", write("bad.json", `[{"image_id": 42,`)}, "bad.json"},
		{"unknown image", []string{"--gt", gt, "--dt", write("unk.json", `[{"image_id": 123456789, "category_id": 1, "bbox": [1,2,3,4], "score": 0.5}]`)}, "image 123456789"},
		{"NaN score", []string{"--gt", gt, "--dt", write("nan.json", `[{"image_id": 42, "category_id": 1, "bbox": [1,2,3,4], "score": NaN}]`)}, "nan.json"},
		{"wrong mask size", []string{"--gt", gt, "--dt", write("size.json", `[{"image_id": 42, "category_id": 18, "score": 1, "segmentation": {"size": [2, 3], "counts": "231"}}]`), "--iou-type", "segm"}, "size"},
		{"malformed gt", []string{"--gt", write("gt.json", `{"images": 3}`), "--dt", write("ok.json", `[]`)}, "gt.json"},
		{"missing file", []string{"--gt", gt, "--dt", filepath.Join(dir, "nope.json")}, "nope.json"},
		{"bad iou type", []string{"--gt", gt, "--dt", write("ok2.json", `[]`), "--iou-type", "keypoints"}, "iou-type"},
		{"no flags", nil, "required"},
	} {
		for _, asJSON := range []bool{false, true} {
			args := c.args
			if asJSON {
				args = append(append([]string{}, args...), "--json")
			}
			code, out, errOut := evalRun(args...)
			if code == 0 || out != "" || !strings.Contains(errOut, c.contains) {
				t.Errorf("%s (json %v): exit %d, stdout %q, stderr %q (want mention of %q)", c.name, asJSON, code, out, errOut, c.contains)
			}
		}
	}
}
