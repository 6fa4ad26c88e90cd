package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"runtime"

	"github.com/gcdet/gcdet/coco"
)

func init() {
	register("data", "validate a COCO data set and print a summary", runData)
}

// runData is `detect-train data --ann FILE [--images DIR] [--json]`.
//
// Exit codes: 0 when the JSON was read (whatever problems were found in
// it; --strict makes error-level problems exit 1), 1 when the annotation
// file cannot be read or parsed, 2 for bad flags.
func runData(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("data", flag.ContinueOnError)
	fs.SetOutput(stderr)
	ann := fs.String("ann", "", "instances JSON file (required)")
	images := fs.String("images", "", "image folder (without it, image files are not checked)")
	asJSON := fs.Bool("json", false, "print the report as one JSON object")
	decode := fs.Bool("decode", true, "decode whole images (false: read headers only, faster)")
	workers := fs.Int("workers", runtime.GOMAXPROCS(0), "parallel image readers")
	strict := fs.Bool("strict", false, "exit 1 when error-level problems are found")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: detect-train data --ann FILE [--images DIR] [--json] [--decode=false] [--strict]")
		fmt.Fprintln(stderr, "Loads a COCO instances file, prints counts and every problem found, each naming")
		fmt.Fprintln(stderr, "the image id / annotation id / file. Exit 0 unless the JSON is unreadable (1),")
		fmt.Fprintln(stderr, "or with --strict, error-level problems were found (1); 2 for bad flags.")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *ann == "" || fs.NArg() != 0 {
		fs.Usage()
		return 2
	}
	d, err := coco.LoadFile(*ann, *images)
	if err != nil {
		fmt.Fprintln(stderr, "detect-train data:", err)
		return 1
	}
	rep := d.Validate(coco.ValidateOptions{CheckImages: *images != "", Decode: *decode, Workers: *workers})
	coco.SortProblems(rep.Problems)
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			fmt.Fprintln(stderr, "detect-train data:", err)
			return 1
		}
	} else {
		printReport(stdout, rep)
	}
	if *strict && rep.Errors > 0 {
		return 1
	}
	return 0
}

func printReport(w io.Writer, r *coco.Report) {
	s := r.Summary
	fmt.Fprintf(w, "file: %s\n", r.File)
	if r.ImageDir != "" {
		fmt.Fprintf(w, "images dir: %s\n", r.ImageDir)
	}
	fmt.Fprintf(w, "images: %d (%d without annotations)\n", s.Images, s.ImagesWithoutAnnotations)
	fmt.Fprintf(w, "annotations: %d (%d crowd, %d polygon, %d RLE)\n", s.Annotations, s.Crowd, s.PolygonAnnotations, s.RLEAnnotations)
	fmt.Fprintf(w, "categories: %d\n", s.Categories)
	fmt.Fprintf(w, "  %5s %5s %-20s %11s %6s %6s\n", "label", "id", "name", "annotations", "crowd", "images")
	for _, c := range s.PerCategory {
		fmt.Fprintf(w, "  %5d %5d %-20s %11d %6d %6d\n", c.Label, c.ID, c.Name, c.Annotations, c.Crowd, c.Images)
	}
	fmt.Fprintf(w, "problems: %d errors, %d warnings\n", r.Errors, r.Warnings)
	for _, p := range r.Problems {
		fmt.Fprintln(w, "  "+p.String())
	}
}
