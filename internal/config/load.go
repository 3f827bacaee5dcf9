package config

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// FieldError is a problem with one key of the file.
type FieldError struct {
	File string // the file's path; empty for values that came from flags
	Line int    // 1-based; 0 when the key is not in the file
	Key  string // dotted path, e.g. benchmark.latency.warmup_runs
	Msg  string
}

func (e *FieldError) Error() string {
	switch {
	case e.File != "" && e.Line > 0:
		return fmt.Sprintf("config: %s:%d: %s: %s", e.File, e.Line, e.Key, e.Msg)
	case e.File != "":
		return fmt.Sprintf("config: %s: %s: %s", e.File, e.Key, e.Msg)
	default:
		return fmt.Sprintf("config: %s: %s", e.Key, e.Msg)
	}
}

// File is a loaded configuration and where each key was found.
type File struct {
	Config *Config
	Path   string
	lines  map[string]int // dotted key → line
}

// Load reads path over the defaults. Unknown keys, wrong types and
// impossible values are errors naming the key and its line. An empty path
// gives the defaults.
func Load(path string) (*File, error) {
	f := &File{Config: Default(), Path: path, lines: map[string]int{}}
	if path == "" {
		return f, f.Validate()
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	if err := f.decode(data); err != nil {
		return nil, err
	}
	return f, f.Validate()
}

// Parse is Load for data already read; name is used in messages.
func Parse(name string, data []byte) (*File, error) {
	f := &File{Config: Default(), Path: name, lines: map[string]int{}}
	if err := f.decode(data); err != nil {
		return nil, err
	}
	return f, f.Validate()
}

func (f *File) decode(data []byte) error {
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return f.yamlError(err)
	}
	indexLines(&root, "", f.lines)
	if len(bytes.TrimSpace(data)) == 0 {
		return nil
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(f.Config); err != nil {
		return f.yamlError(err)
	}
	f.Config.fillEngineDefaults()
	return nil
}

var yamlLine = regexp.MustCompile(`^(?:yaml: )?line (\d+): (.*)$`)
var unknownField = regexp.MustCompile(`^field (\S+) not found in type`)

// yamlError turns the YAML library's messages into one FieldError line,
// naming the key at that line.
func (f *File) yamlError(err error) error {
	msg := err.Error()
	var te *yaml.TypeError
	if errors.As(err, &te) && len(te.Errors) > 0 {
		msg = te.Errors[0]
	}
	m := yamlLine.FindStringSubmatch(msg)
	if m == nil {
		return &FieldError{File: f.Path, Key: "(file)", Msg: strings.TrimPrefix(msg, "yaml: ")}
	}
	line, _ := strconv.Atoi(m[1])
	text := m[2]
	key := f.keyAt(line)
	if u := unknownField.FindStringSubmatch(text); u != nil {
		text = "unknown key " + strconv.Quote(u[1])
		if key == "" {
			key = u[1]
		}
	} else {
		text = strings.Replace(text, "cannot unmarshal ", "wrong type: cannot read ", 1)
	}
	if key == "" {
		key = "(file)"
	}
	return &FieldError{File: f.Path, Line: line, Key: key, Msg: text}
}

// keyAt returns the dotted key whose node starts at line.
func (f *File) keyAt(line int) string {
	best := ""
	for k, l := range f.lines {
		if l == line && len(k) > len(best) {
			best = k
		}
	}
	return best
}

// indexLines records the line of every mapping key and sequence item.
func indexLines(n *yaml.Node, prefix string, out map[string]int) {
	switch n.Kind {
	case yaml.DocumentNode:
		for _, c := range n.Content {
			indexLines(c, prefix, out)
		}
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			key := k.Value
			if prefix != "" {
				key = prefix + "." + k.Value
			}
			out[key] = k.Line
			indexLines(v, key, out)
		}
	case yaml.SequenceNode:
		for i, c := range n.Content {
			key := fmt.Sprintf("%s[%d]", prefix, i)
			out[key] = c.Line
			indexLines(c, key, out)
		}
	}
}

// Line returns the line of a dotted key in the file, or 0.
func (f *File) Line(key string) int { return f.lines[key] }

// fieldErr builds the error for key, with its line when the file has it.
func (f *File) fieldErr(key, format string, args ...any) *FieldError {
	e := &FieldError{Key: key, Msg: fmt.Sprintf(format, args...)}
	if l, ok := f.lines[key]; ok {
		e.File, e.Line = f.Path, l
	}
	return e
}
