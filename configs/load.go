package configs

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	"gopkg.in/yaml.v3"
)

// BaseKey is the top-level key that names the file(s) a config builds on.
const BaseKey = "_base_"

// Info says what a Load read.
type Info struct {
	// Files are the YAML files read, bases first, the named file last
	// ("embedded:" marks the presets compiled into the binary).
	Files []string
	// Overrides are the --set assignments applied after the files.
	Overrides []string
}

// source is one YAML file: on disk, or in the embedded presets.
type source struct {
	embedded bool
	path     string // file path, or slash path inside Presets
}

func (s source) String() string {
	if s.embedded {
		return "embedded:" + s.path
	}
	return s.path
}

func (s source) read() ([]byte, error) {
	if s.embedded {
		return fs.ReadFile(Presets, s.path)
	}
	return os.ReadFile(s.path)
}

// locate finds a config by name: a file on disk, else an embedded preset
// (with or without a leading "configs/").
func locate(name string) (source, error) {
	if st, err := os.Stat(name); err == nil && !st.IsDir() {
		return source{path: name}, nil
	}
	if s, ok := embeddedSource(name); ok {
		return s, nil
	}
	return source{}, fmt.Errorf("config %s: no such file, and no embedded preset of that name (presets: %s)", name, strings.Join(PresetNames(), ", "))
}

// embeddedSource finds an embedded preset by name (with or without a
// leading "configs/").
func embeddedSource(name string) (source, bool) {
	p := strings.TrimPrefix(path.Clean(filepath.ToSlash(name)), "configs/")
	if _, err := fs.Stat(Presets, p); err != nil {
		return source{}, false
	}
	return source{embedded: true, path: p}, true
}

// resolveBase finds a _base_ entry of from.
func resolveBase(from source, base string) (source, error) {
	if from.embedded {
		p := path.Join(path.Dir(from.path), filepath.ToSlash(base))
		if _, err := fs.Stat(Presets, p); err != nil {
			return source{}, fmt.Errorf("%s: %s %q: no such embedded preset", from, BaseKey, base)
		}
		return source{embedded: true, path: p}, nil
	}
	p := base
	if !filepath.IsAbs(p) {
		p = filepath.Join(filepath.Dir(from.path), base)
	}
	if st, err := os.Stat(p); err == nil && !st.IsDir() {
		return source{path: p}, nil
	}
	// A file outside the repository may build on a preset by name.
	if s, ok := embeddedSource(base); ok {
		return s, nil
	}
	return source{}, fmt.Errorf("%s: %s %q: no such file (looked for %s) and no embedded preset of that name", from, BaseKey, base, p)
}

// Load reads the config name (a YAML file, or the name of an embedded
// preset such as "faster_rcnn_R50_FPN_1x.yaml"), following _base_ chains,
// applies the key=value overrides and checks the result. Starting values
// are Defaults(); each file overrides its bases; mappings merge key by
// key, lists and scalars replace.
func Load(name string, overrides ...string) (Config, Info, error) {
	var info Info
	src, err := locate(name)
	if err != nil {
		return Config{}, info, err
	}
	merged, err := loadTree(src, nil, &info)
	if err != nil {
		return Config{}, info, err
	}
	return finish(merged, overrides, &info)
}

// Parse reads a config from YAML text (name is used in errors; _base_
// entries resolve against the embedded presets), then applies the
// overrides. Checkpoints store their config this way.
func Parse(data []byte, name string, overrides ...string) (Config, error) {
	var info Info
	root, err := parseDoc(data, name)
	if err != nil {
		return Config{}, err
	}
	merged := root
	if bases, err := takeBases(root, name); err != nil {
		return Config{}, err
	} else if len(bases) > 0 {
		merged = nil
		for _, b := range bases {
			s, err := locate(b)
			if err != nil {
				return Config{}, fmt.Errorf("%s: %s %q: %v", name, BaseKey, b, err)
			}
			t, err := loadTree(s, nil, &info)
			if err != nil {
				return Config{}, err
			}
			merged = mergeNodes(merged, t)
		}
		merged = mergeNodes(merged, root)
	}
	c, _, err := finish(merged, overrides, &info)
	return c, err
}

func finish(merged *yaml.Node, overrides []string, info *Info) (Config, Info, error) {
	if merged == nil {
		merged = &yaml.Node{Kind: yaml.MappingNode}
	}
	for _, o := range overrides {
		if err := applySet(merged, o); err != nil {
			return Config{}, *info, err
		}
		info.Overrides = append(info.Overrides, o)
	}
	c := Defaults()
	if err := merged.Decode(&c); err != nil {
		return Config{}, *info, fmt.Errorf("config: %v", yamlError(err))
	}
	if err := c.Validate(); err != nil {
		return Config{}, *info, err
	}
	return c, *info, nil
}

// loadTree reads src and its bases, merged; stack detects cycles.
func loadTree(src source, stack []string, info *Info) (*yaml.Node, error) {
	for _, s := range stack {
		if s == src.String() {
			return nil, fmt.Errorf("config: %s chain loops: %s -> %s", BaseKey, strings.Join(stack, " -> "), src)
		}
	}
	stack = append(stack, src.String())
	data, err := src.read()
	if err != nil {
		return nil, fmt.Errorf("config %s: %v", src, unwrapPathError(err))
	}
	root, err := parseDoc(data, src.String())
	if err != nil {
		return nil, err
	}
	bases, err := takeBases(root, src.String())
	if err != nil {
		return nil, err
	}
	var merged *yaml.Node
	for _, b := range bases {
		bs, err := resolveBase(src, b)
		if err != nil {
			return nil, err
		}
		t, err := loadTree(bs, stack, info)
		if err != nil {
			return nil, err
		}
		merged = mergeNodes(merged, t)
	}
	info.Files = append(info.Files, src.String())
	return mergeNodes(merged, root), nil
}

func unwrapPathError(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// parseDoc parses one file and checks its keys and value types against
// Config, so that every error names the file and line.
func parseDoc(data []byte, name string) (*yaml.Node, error) {
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); err != nil {
		if err.Error() == "EOF" {
			return &yaml.Node{Kind: yaml.MappingNode}, nil
		}
		return nil, fmt.Errorf("config %s: %v", name, yamlError(err))
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		return nil, fmt.Errorf("config %s: more than one YAML document", name)
	}
	root := &doc
	if root.Kind == yaml.DocumentNode {
		if len(root.Content) == 0 {
			return &yaml.Node{Kind: yaml.MappingNode}, nil
		}
		root = root.Content[0]
	}
	if root.Kind == yaml.ScalarNode && root.Tag == "!!null" {
		return &yaml.Node{Kind: yaml.MappingNode}, nil
	}
	if root.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("config %s: line %d: the top level must be a mapping of keys", name, root.Line)
	}
	if err := checkKeys(root, configType, "", name, true); err != nil {
		return nil, err
	}
	// Types: decode this file alone into a scratch config.
	scratch := Defaults()
	body := withoutKey(root, BaseKey)
	if err := body.Decode(&scratch); err != nil {
		return nil, fmt.Errorf("config %s: %v", name, yamlError(err))
	}
	return root, nil
}

// yamlError flattens yaml.v3's multi-line type errors.
func yamlError(err error) string {
	s := strings.TrimPrefix(err.Error(), "yaml: ")
	s = strings.TrimPrefix(s, "unmarshal errors:\n")
	lines := strings.Split(s, "\n")
	for i := range lines {
		lines[i] = strings.TrimSpace(lines[i])
	}
	return strings.Join(lines, "; ")
}

// takeBases removes _base_ from root and returns its entries (a string or
// a list of strings).
func takeBases(root *yaml.Node, name string) ([]string, error) {
	var bases []string
	for i := 0; i+1 < len(root.Content); i += 2 {
		if root.Content[i].Value != BaseKey {
			continue
		}
		v := root.Content[i+1]
		switch v.Kind {
		case yaml.ScalarNode:
			bases = []string{v.Value}
		case yaml.SequenceNode:
			for _, e := range v.Content {
				if e.Kind != yaml.ScalarNode {
					return nil, fmt.Errorf("config %s: line %d: %s entries must be file names", name, e.Line, BaseKey)
				}
				bases = append(bases, e.Value)
			}
		default:
			return nil, fmt.Errorf("config %s: line %d: %s must be a file name or a list of them", name, v.Line, BaseKey)
		}
		root.Content = append(root.Content[:i:i], root.Content[i+2:]...)
		break
	}
	return bases, nil
}

func withoutKey(m *yaml.Node, key string) *yaml.Node {
	c := *m
	c.Content = nil
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value != key {
			c.Content = append(c.Content, m.Content[i], m.Content[i+1])
		}
	}
	return &c
}

// mergeNodes overlays top on base: mappings merge key by key, anything
// else is replaced by top. Either may be nil.
func mergeNodes(base, top *yaml.Node) *yaml.Node {
	if base == nil {
		return top
	}
	if top == nil {
		return base
	}
	if base.Kind != yaml.MappingNode || top.Kind != yaml.MappingNode {
		return top
	}
	out := *base
	out.Content = append([]*yaml.Node(nil), base.Content...)
	for i := 0; i+1 < len(top.Content); i += 2 {
		k, v := top.Content[i], top.Content[i+1]
		j := findKey(&out, k.Value)
		if j < 0 {
			out.Content = append(out.Content, k, v)
			continue
		}
		out.Content[j+1] = mergeNodes(out.Content[j+1], v)
	}
	return &out
}

// findKey is the index of key's key node in mapping m, or -1.
func findKey(m *yaml.Node, key string) int {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return i
		}
	}
	return -1
}

// PresetNames lists the embedded presets.
func PresetNames() []string {
	var names []string
	fs.WalkDir(Presets, ".", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".yaml") {
			names = append(names, p)
		}
		return nil
	})
	return names
}

// YAML renders the config as a complete YAML file (every key, no
// _base_), which Parse reads back to the same Config.
func (c Config) YAML() ([]byte, error) {
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(c); err != nil {
		return nil, err
	}
	enc.Close()
	return b.Bytes(), nil
}
