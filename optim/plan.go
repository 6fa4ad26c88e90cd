package optim

import (
	"fmt"
	"sort"
	"strings"

	"github.com/gcdet/gcdet/nn"
)

// ParamInfo is what planning needs to know of a parameter.
type ParamInfo struct {
	Name  string
	Kind  nn.Kind
	Shape []int
	// Groups is the groups of a grouped conv-transpose weight (nn.Param's
	// Groups; 0 or 1: not grouped). GCConfig.ConvTransposeGroups overrides
	// it by name.
	Groups int
}

// plannedParam is a parameter with its group and GC layout decided.
type plannedParam struct {
	ParamInfo
	group  int
	layout gcLayout
}

// Group is a parameter group: its learning rate (BaseLR times the
// schedule's factor), weight decay and members.
type Group struct {
	Name        string
	BaseLR      float64
	LR          float64
	WeightDecay float64
	Params      []string
}

// plan is the static decision for a parameter list under a Config: groups,
// GC layouts and the warnings to report.
type plan struct {
	params   []plannedParam
	groups   []Group
	warnings []string
}

// gcWanted reports whether GC should apply to a parameter by scope and kind.
func gcWanted(gc *GCConfig, name string, kind nn.Kind) bool {
	switch gc.Scope {
	case ScopeOff:
		return false
	case ScopeBackbone:
		if !strings.HasPrefix(name, BackbonePrefix) {
			return false
		}
	case ScopePrefixes:
		if !hasAnyPrefix(name, gc.Prefixes) {
			return false
		}
	}
	switch kind {
	case nn.KindConv, nn.KindConvTranspose:
		return true
	case nn.KindLinear:
		return gc.Kinds != KindsConv
	}
	return false // norm, bias, other: never
}

func hasAnyPrefix(name string, prefixes []string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(name, p) {
			return true
		}
	}
	return false
}

// makePlan decides groups and GC layouts. cfg must be valid.
func makePlan(cfg *Config, infos []ParamInfo) (*plan, error) {
	pl := &plan{}
	groupOf := map[string]int{}
	addGroup := func(name string, lr, wd float64) int {
		if i, ok := groupOf[name]; ok {
			return i
		}
		groupOf[name] = len(pl.groups)
		pl.groups = append(pl.groups, Group{Name: name, BaseLR: lr, LR: lr, WeightDecay: wd})
		return len(pl.groups) - 1
	}
	rules := make([]struct {
		kinds map[nn.Kind]bool
		used  bool
	}, len(cfg.Groups))
	for i, r := range cfg.Groups {
		if len(r.Kinds) > 0 {
			rules[i].kinds = map[nn.Kind]bool{}
			for _, ks := range r.Kinds {
				k, err := parseKind(ks)
				if err != nil {
					return nil, fmt.Errorf("optim: group %q: %v", r.Name, err)
				}
				rules[i].kinds[k] = true
			}
		}
	}
	seen := map[string]bool{}
	prefixUsed := make([]bool, len(cfg.GC.Prefixes))
	for _, in := range infos {
		if seen[in.Name] {
			return nil, fmt.Errorf("optim: parameter name %q appears twice", in.Name)
		}
		seen[in.Name] = true
		gi := -1
		for i, r := range cfg.Groups {
			if rules[i].kinds != nil && !rules[i].kinds[in.Kind] {
				continue
			}
			if len(r.Prefixes) > 0 && !hasAnyPrefix(in.Name, r.Prefixes) {
				continue
			}
			lr, wd := cfg.LR, cfg.WeightDecay
			if r.LRFactor != nil {
				lr *= *r.LRFactor
			}
			if r.WeightDecay != nil {
				wd = *r.WeightDecay
			}
			rules[i].used = true
			gi = addGroup(r.Name, lr, wd)
			break
		}
		if gi < 0 {
			gi = addGroup("default", cfg.LR, cfg.WeightDecay)
		}
		pl.groups[gi].Params = append(pl.groups[gi].Params, in.Name)
		for i, p := range cfg.GC.Prefixes {
			if strings.HasPrefix(in.Name, p) {
				prefixUsed[i] = true
			}
		}
		want := gcWanted(&cfg.GC, in.Name, in.Kind)
		groups := in.Groups
		if g, ok := cfg.GC.ConvTransposeGroups[in.Name]; ok {
			groups = g
		}
		layout, warn := planGC(in.Name, in.Kind, in.Shape, want, cfg.GC.ConvTranspose, groups)
		if warn != "" {
			pl.warnings = append(pl.warnings, warn)
		}
		pl.params = append(pl.params, plannedParam{ParamInfo: in, group: gi, layout: layout})
	}
	for i, r := range cfg.Groups {
		if !rules[i].used {
			pl.warnings = append(pl.warnings, fmt.Sprintf("optim: group rule %q matched no trainable parameter", r.Name))
		}
	}
	if cfg.GC.Scope == ScopePrefixes {
		for i, p := range cfg.GC.Prefixes {
			if !prefixUsed[i] {
				pl.warnings = append(pl.warnings, fmt.Sprintf("optim: gc prefix %q matched no trainable parameter", p))
			}
		}
	}
	names := make([]string, 0, len(cfg.GC.ConvTransposeGroups))
	for name := range cfg.GC.ConvTransposeGroups {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if !seen[name] {
			pl.warnings = append(pl.warnings, fmt.Sprintf("optim: gc.conv_transpose_groups names %q, which is not a trainable parameter", name))
		}
	}
	return pl, nil
}
