package configs

import "embed"

// Presets are the YAML files of this folder, compiled into the binary.
//
//go:embed *.yaml ablation/*.yaml
var Presets embed.FS

// DefaultPreset is the config `detect-train train` runs without --config.
const DefaultPreset = "synthetic_default.yaml"
