package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/gcdet/gcdet/train"
)

func init() {
	register("ablate", "run GC ablation configs over several seeds and compare them", runAblate)
}

// runAblate is
//
//	detect-train ablate [CONFIG ...] [--seeds N] [--first-seed S] [--out DIR] [--set key=value ...]
//
// Without configs it runs train.DefaultAblation (GC off / backbone / all /
// conv only on the synthetic data). Finished runs found in the output
// folder are reused, so an interrupted ablation continues where it
// stopped. Writes ablation.{txt,json,csv} and ablation_{loss,ap}.png.
func runAblate(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("ablate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	seeds := fs.Int("seeds", 3, "seeds per config")
	first := fs.Uint64("first-seed", 1, "first seed")
	out := fs.String("out", "out/ablation", "output folder")
	var sets setFlags
	fs.Var(&sets, "set", "override a key in every config (repeatable)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: detect-train ablate [CONFIG ...] [--seeds N] [--first-seed S] [--out DIR] [--set key=value ...]")
		fmt.Fprintln(stderr, "default configs: "+strings.Join(train.DefaultAblation, " "))
		fs.PrintDefaults()
	}
	// Flags may follow the configs.
	var configs, rest []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if strings.HasPrefix(a, "-") {
			rest = append(rest, a)
			if !strings.Contains(a, "=") && i+1 < len(args) && a != "-h" && a != "--help" {
				rest = append(rest, args[i+1])
				i++
			}
			continue
		}
		configs = append(configs, a)
	}
	if err := fs.Parse(rest); err != nil {
		if err == flag.ErrHelp {
			return 0
		}
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	rep, err := train.RunAblation(ctx, train.AblationOptions{Configs: configs, Seeds: *seeds, FirstSeed: *first,
		Overrides: sets, OutDir: *out, Console: stderr})
	if errors.Is(err, train.ErrInterrupted) {
		fmt.Fprintln(stderr, "detect-train ablate: interrupted; rerun the same command to continue")
		return 130
	}
	if err != nil {
		fmt.Fprintln(stderr, "detect-train ablate:", err)
		return 1
	}
	rep.Command = "detect-train ablate " + strings.Join(args, " ")
	rep.WriteTable(stdout)
	files, err := rep.WriteFiles(*out)
	if err != nil {
		fmt.Fprintln(stderr, "detect-train ablate:", err)
		return 1
	}
	fmt.Fprintf(stdout, "wrote %s (%.0f s; %.0f s of training in all runs)\n", strings.Join(files, ", "), rep.Seconds, rep.TrainSeconds)
	return 0
}
