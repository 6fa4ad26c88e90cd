package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"github.com/gcdet/gcdet/configs"
	"github.com/gcdet/gcdet/train"
)

func init() {
	register("train", "train a detector (no --config: the embedded synthetic default)", runTrain)
}

// setFlags collects repeated --set key=value flags.
type setFlags []string

func (s *setFlags) String() string     { return strings.Join(*s, ",") }
func (s *setFlags) Set(v string) error { *s = append(*s, v); return nil }

// runTrain is
//
//	detect-train train [--config FILE] [--set key=value ...] [--out DIR]
//	                   [--resume] [--device cpu|cuda] [--seed N]
//
// Exit codes: 0 done, 1 error, 2 bad flags, 130 interrupted (a checkpoint
// was saved; --resume continues).
func runTrain(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("train", flag.ContinueOnError)
	fs.SetOutput(stderr)
	config := fs.String("config", "", "YAML config file or preset name (default: the embedded "+configs.DefaultPreset+")")
	var sets setFlags
	fs.Var(&sets, "set", "override a config key, e.g. --set solver.max_iter=100 (repeatable)")
	out := fs.String("out", "", "output folder (default out/<config name>)")
	resume := fs.Bool("resume", false, "continue from the newest checkpoint in the output folder")
	device := fs.String("device", "", "cpu or cuda (overrides the config's device)")
	seed := fs.String("seed", "", "random seed (overrides the config's seed)")
	noProgress := fs.Bool("no-progress", false, "no progress bar")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: detect-train train [--config FILE] [--set key=value ...] [--out DIR] [--resume] [--device cpu|cuda] [--seed N]")
		fmt.Fprintln(stderr, "presets: "+strings.Join(configs.PresetNames(), ", "))
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "detect-train train: unexpected arguments %q\n", fs.Args())
		return 2
	}
	name := *config
	if name == "" {
		name = configs.DefaultPreset
	}
	overrides := append([]string(nil), sets...)
	if *device != "" {
		overrides = append(overrides, "device="+*device)
	}
	if *seed != "" {
		if _, err := strconv.ParseUint(*seed, 10, 64); err != nil {
			fmt.Fprintf(stderr, "detect-train train: --seed %q is not a non-negative integer\n", *seed)
			return 2
		}
		overrides = append(overrides, "seed="+*seed)
	}
	cfg, info, err := configs.Load(name, overrides...)
	if err != nil {
		fmt.Fprintln(stderr, "detect-train train:", err)
		return 1
	}
	dir := *out
	if dir == "" {
		dir = filepath.Join("out", strings.TrimSuffix(filepath.Base(name), filepath.Ext(name)))
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	res, err := train.Run(ctx, train.Options{Config: cfg, Files: info.Files, OutDir: dir, Resume: *resume,
		Console: stderr, Summary: stdout, Progress: !*noProgress})
	if errors.Is(err, train.ErrInterrupted) {
		fmt.Fprintf(stderr, "detect-train train: interrupted at iteration %d; checkpoint %s; rerun with --resume to continue\n", res.Iter, res.Checkpoint)
		return 130
	}
	if err != nil {
		fmt.Fprintln(stderr, "detect-train train:", err)
		return 1
	}
	fmt.Fprintf(stdout, "box AP %.3f after %d iterations (%.0f s of training); outputs in %s\n", res.Eval.BBox.Stats[0], res.Iter, res.TrainSeconds, dir)
	return 0
}
