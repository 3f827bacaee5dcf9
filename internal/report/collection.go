package report

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/muaibench/muaibench/internal/metrics"
)

// RunInfo ties the results of one `muaibench run` together, so that a
// report can tell repetitions of a suite (--repeat) from separate runs.
type RunInfo struct {
	ID string `json:"id"`
	// Repetition counts from 1; Repeats is how many were asked for.
	Repetition int  `json:"repetition"`
	Repeats    int  `json:"repeats"`
	Quick      bool `json:"quick,omitempty"`
}

// Loaded is one result file as read. Extras holds, per scenario, the
// fields this package does not know by name (a suite's own figures, such
// as a throughput scenario's concurrency or a memory scenario's peak), so
// that every suite renders, known or not.
type Loaded struct {
	*Result
	Path   string
	Extras []Extras
	// ResultExtras are the result's own unknown scalar fields.
	ResultExtras Extras
}

// Extras are flattened fields: dotted key → number or string.
type Extras map[string]any

// Keys returns the keys in order.
func (e Extras) Keys() []string {
	keys := make([]string, 0, len(e))
	for k := range e {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// Number returns the value of key as a number.
func (e Extras) Number(key string) (float64, bool) {
	v, ok := e[key].(float64)
	return v, ok
}

// Label is a short name of the engine and model measured.
func (l *Loaded) Label() string {
	return l.Engine.Name + " · " + l.Engine.Model
}

// LoadResults reads every result file matched by the glob patterns, in
// path order. A JSON file that is not a result (another schema, a report)
// is left out with a note; no result at all is an error.
func LoadResults(patterns []string) (results []*Loaded, notes []string, err error) {
	var paths []string
	for _, p := range patterns {
		m, err := filepath.Glob(p)
		if err != nil {
			return nil, nil, fmt.Errorf("report: --input %q: %w", p, err)
		}
		if len(m) == 0 {
			if _, err := os.Stat(p); err == nil {
				m = []string{p}
			}
		}
		paths = append(paths, m...)
	}
	slices.Sort(paths)
	paths = slices.Compact(paths)
	for _, p := range paths {
		if !strings.HasSuffix(p, ".json") {
			continue
		}
		l, err := LoadResult(p)
		if err != nil {
			notes = append(notes, fmt.Sprintf("%s left out: %v", filepath.Base(p), err))
			continue
		}
		results = append(results, l)
	}
	if len(results) == 0 {
		return nil, notes, fmt.Errorf("report: no result files match %s", strings.Join(patterns, ", "))
	}
	return results, notes, nil
}

// LoadResult reads one result file with its unknown fields.
func LoadResult(path string) (*Loaded, error) {
	r, err := ReadFile(path)
	if err != nil {
		return nil, err
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	var raw struct {
		Scenarios []map[string]any `json:"scenarios"`
	}
	var top map[string]any
	if err := json.Unmarshal(data, &raw); err != nil {
		return nil, fmt.Errorf("report: %s: %w", path, err)
	}
	json.Unmarshal(data, &top)
	l := &Loaded{Result: r, Path: path, ResultExtras: Extras{}}
	for _, sc := range raw.Scenarios {
		ex := Extras{}
		for k, v := range sc {
			if !knownScenarioKeys[k] {
				flatten(ex, k, v)
			}
		}
		l.Extras = append(l.Extras, ex)
	}
	for k, v := range top {
		if !knownResultKeys[k] {
			flatten(l.ResultExtras, k, v)
		}
	}
	return l, nil
}

// knownScenarioKeys are rendered from their typed fields; the generic
// extras are everything else.
var knownScenarioKeys = map[string]bool{
	"name": true, "input_tokens": true, "output_tokens": true, "runs": true, "skipped": true, "summary": true,
	"load": true, "generator": true, "figures": true, "windows": true, "health": true, "memory": true,
}

var knownResultKeys = map[string]bool{
	"schema": true, "suite": true, "started": true, "finished": true, "interrupted": true,
	"system": true, "engine": true, "client": true, "config": true, "scenarios": true,
	"warnings": true, "records_file": true, "definitions": true, "run": true,
	"throughput": true, "stress": true,
}

// flatten puts the scalar leaves of v under dotted keys; arrays (time
// series, samples) are left out: they belong in charts, not cells.
func flatten(out Extras, key string, v any) {
	switch v := v.(type) {
	case float64, string:
		out[key] = v
	case bool:
		out[key] = fmt.Sprint(v)
	case map[string]any:
		for k, vv := range v {
			flatten(out, key+"."+k, vv)
		}
	}
}

// Records reads the per-request records of l's RecordsFile, which is
// relative to the result file.
func (l *Loaded) Records() ([]metrics.Record, error) {
	if l.RecordsFile == "" {
		return nil, fmt.Errorf("report: %s names no records file", filepath.Base(l.Path))
	}
	p := l.RecordsFile
	if !filepath.IsAbs(p) {
		p = filepath.Join(filepath.Dir(l.Path), p)
	}
	f, err := os.Open(p)
	if err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	defer f.Close()
	return ReadRecords(f)
}

// extra returns scenario i's extra fields; nil when there are none.
func (l *Loaded) extra(i int) Extras {
	if i < len(l.Extras) {
		return l.Extras[i]
	}
	return nil
}
