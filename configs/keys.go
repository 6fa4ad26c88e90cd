package configs

import (
	"fmt"
	"reflect"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

var configType = reflect.TypeOf(Config{})

// fieldByKey finds the struct field of t whose yaml key is key.
func fieldByKey(t reflect.Type, key string) (reflect.StructField, bool) {
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if yamlKey(f) == key {
			return f, true
		}
	}
	return reflect.StructField{}, false
}

func yamlKey(f reflect.StructField) string {
	tag := f.Tag.Get("yaml")
	name, _, _ := strings.Cut(tag, ",")
	if name == "" {
		return strings.ToLower(f.Name)
	}
	return name
}

// knownKeys lists t's keys, sorted.
func knownKeys(t reflect.Type) string {
	var ks []string
	for i := 0; i < t.NumField(); i++ {
		if k := yamlKey(t.Field(i)); k != "-" {
			ks = append(ks, k)
		}
	}
	sort.Strings(ks)
	return strings.Join(ks, ", ")
}

func deref(t reflect.Type) reflect.Type {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t
}

func join(prefix, key string) string {
	if prefix == "" {
		return key
	}
	return prefix + "." + key
}

// checkKeys walks a YAML node against type t and reports the first key
// that names no field, with the file, line and the keys allowed there.
func checkKeys(n *yaml.Node, t reflect.Type, prefix, file string, top bool) error {
	t = deref(t)
	switch t.Kind() {
	case reflect.Struct:
		if n.Kind != yaml.MappingNode {
			if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
				return nil
			}
			return fmt.Errorf("config %s: line %d: %s must be a mapping of keys (%s)", file, n.Line, keyName(prefix), knownKeys(t))
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			if top && k.Value == BaseKey {
				continue
			}
			f, ok := fieldByKey(t, k.Value)
			if !ok {
				where := "at the top level"
				if prefix != "" {
					where = "under " + prefix
				}
				return fmt.Errorf("config %s: line %d: unknown key %q (known keys %s: %s)", file, k.Line, join(prefix, k.Value), where, knownKeys(t))
			}
			if err := checkKeys(v, f.Type, join(prefix, k.Value), file, false); err != nil {
				return err
			}
		}
	case reflect.Map:
		if n.Kind == yaml.MappingNode {
			for i := 0; i+1 < len(n.Content); i += 2 {
				if err := checkKeys(n.Content[i+1], t.Elem(), join(prefix, n.Content[i].Value), file, false); err != nil {
					return err
				}
			}
		}
	case reflect.Slice:
		if n.Kind == yaml.SequenceNode {
			for j, e := range n.Content {
				if err := checkKeys(e, t.Elem(), fmt.Sprintf("%s[%d]", prefix, j), file, false); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

func keyName(prefix string) string {
	if prefix == "" {
		return "the top level"
	}
	return fmt.Sprintf("%q", prefix)
}

// typeAt resolves a dotted key path to its Go type.
func typeAt(keyPath string) (reflect.Type, error) {
	t := configType
	parts := strings.Split(keyPath, ".")
	for i, p := range parts {
		t = deref(t)
		prefix := strings.Join(parts[:i], ".")
		switch t.Kind() {
		case reflect.Struct:
			f, ok := fieldByKey(t, p)
			if !ok {
				where := "at the top level"
				if prefix != "" {
					where = "under " + prefix
				}
				return nil, fmt.Errorf("unknown key %q (known keys %s: %s)", strings.Join(parts[:i+1], "."), where, knownKeys(t))
			}
			t = f.Type
		case reflect.Map:
			t = t.Elem()
		default:
			return nil, fmt.Errorf("key %q: %s is a value, not a mapping", keyPath, prefix)
		}
	}
	return t, nil
}

// describe names a type for error messages.
func describe(t reflect.Type) string {
	t = deref(t)
	switch t.Kind() {
	case reflect.Int, reflect.Int64, reflect.Int32:
		return "an integer"
	case reflect.Uint, reflect.Uint64, reflect.Uint32:
		return "a non-negative integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Bool:
		return "true or false"
	case reflect.String:
		return "a string"
	case reflect.Slice:
		return "a list like [" + strings.TrimPrefix(strings.TrimPrefix(describe(t.Elem()), "an "), "a ") + ", ...]"
	case reflect.Struct, reflect.Map:
		return "a mapping like {key: value}"
	}
	return t.String()
}

// applySet applies one "key.path=value" override to the merged tree. The
// value is parsed as the key's type: strings are taken literally, numbers,
// booleans and lists (YAML flow syntax: [1, 2]) are checked.
func applySet(root *yaml.Node, assignment string) error {
	key, raw, ok := strings.Cut(assignment, "=")
	key = strings.TrimSpace(key)
	if !ok || key == "" {
		return fmt.Errorf("--set %q: want key=value, e.g. solver.max_iter=1000", assignment)
	}
	if key == BaseKey {
		return fmt.Errorf("--set %s: bases cannot be overridden; use --config", key)
	}
	t, err := typeAt(key)
	if err != nil {
		return fmt.Errorf("--set %s: %v", assignment, err)
	}
	var val *yaml.Node
	if deref(t).Kind() == reflect.String {
		val = &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: raw}
	} else {
		var doc yaml.Node
		if err := yaml.Unmarshal([]byte(raw), &doc); err != nil || len(doc.Content) == 0 {
			if strings.TrimSpace(raw) == "" && t.Kind() == reflect.Pointer {
				val = &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null", Value: "null"}
			} else {
				return fmt.Errorf("--set %s: %q is not %s", key, raw, describe(t))
			}
		} else {
			val = doc.Content[0]
		}
		probe := reflect.New(t)
		if err := val.Decode(probe.Interface()); err != nil {
			return fmt.Errorf("--set %s: %q is not %s", key, raw, describe(t))
		}
		if err := checkKeys(val, t, key, "--set", false); err != nil {
			return err
		}
	}
	node := root
	parts := strings.Split(key, ".")
	for i, p := range parts {
		j := findKey(node, p)
		if i == len(parts)-1 {
			if j < 0 {
				node.Content = append(node.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: p}, val)
			} else {
				node.Content[j+1] = val
			}
			return nil
		}
		if j < 0 || node.Content[j+1].Kind != yaml.MappingNode {
			m := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
			if j < 0 {
				node.Content = append(node.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: p}, m)
			} else {
				node.Content[j+1] = m
			}
			node = m
			continue
		}
		node = node.Content[j+1]
	}
	return nil
}
