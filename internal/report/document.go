package report

import (
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/muaibench/muaibench/internal/config"
	"go.yaml.in/yaml/v3"
)

// Document is a report over a set of results: what every report format
// (HTML, Markdown, JSON; CSV takes the scenarios alone) renders. It is
// built once from the results, so the formats never disagree.
type Document struct {
	Title     string    `json:"title"`
	Generated time.Time `json:"generated"`
	Inputs    []string  `json:"inputs"`

	Summary  Summary   `json:"executive_summary"`
	Criteria []Verdict `json:"success_criteria"`
	Sections []Section `json:"sections"`
	// Comparisons set engines (or models) side by side per scenario.
	Comparisons []Table `json:"comparisons,omitempty"`
	// Variation is the coefficient of variation across repetitions.
	Variation   *Table       `json:"reproducibility,omitempty"`
	Systems     []Table      `json:"system"`
	Configs     []ConfigText `json:"configuration"`
	Limitations []string     `json:"known_limitations"`
	Definitions []Definition `json:"definitions"`
}

// Summary is the executive summary.
type Summary struct {
	Findings        []string `json:"key_findings"`
	Highlights      []string `json:"highlights"`
	Recommendations []string `json:"recommendations"`
}

// Section is one suite's tables and charts.
type Section struct {
	Suite  string   `json:"suite"`
	Title  string   `json:"title"`
	Tables []Table  `json:"tables"`
	Charts []*Chart `json:"charts,omitempty"`
}

// Table is a titled grid of formatted cells. Status, when set, holds a
// class per row (pass, acceptable, fail, regression, flag).
type Table struct {
	Title   string     `json:"title"`
	Columns []string   `json:"columns"`
	Rows    [][]string `json:"rows"`
	Status  []string   `json:"status,omitempty"`
	Note    string     `json:"note,omitempty"`
}

// ConfigText is one configuration as YAML, with the results that used it.
type ConfigText struct {
	Results []string `json:"results"`
	YAML    string   `json:"yaml"`
}

// Definition is one metric's definition.
type Definition struct {
	Name string `json:"name"`
	Text string `json:"text"`
}

// BuildOptions configures Build.
type BuildOptions struct {
	Title string
	// Now stamps the report; zero means time.Now.
	Now time.Time
	// Criteria is the success table to judge; nil means the defaults.
	Criteria *config.SuccessCriteria
	// Notes are problems met while loading (files left out).
	Notes []string
}

// Build turns results into a report document.
func Build(results []*Loaded, o BuildOptions) *Document {
	if o.Now.IsZero() {
		o.Now = time.Now()
	}
	if o.Title == "" {
		o.Title = "muaibench benchmark report"
	}
	crit := o.Criteria
	if crit == nil {
		crit = &config.Default().Benchmark.SuccessCriteria
	}
	d := &Document{Title: o.Title, Generated: o.Now.UTC()}
	for _, l := range results {
		d.Inputs = append(d.Inputs, filepath.Base(l.Path))
	}
	d.Sections = sections(results)
	d.Comparisons = comparisons(results)
	d.Variation = variation(results)
	d.Criteria = Evaluate(results, *crit)
	d.Systems = systems(results)
	d.Configs = configs(results)
	d.Limitations = append(limitations(results, d.Variation), o.Notes...)
	d.Summary = summarize(results, d)
	d.Definitions = definitions(results)
	return d
}

func systems(results []*Loaded) []Table {
	var out []Table
	seen := map[string]bool{}
	for _, l := range results {
		s := l.System
		key := s.Hostname + "|" + s.CPUModel + "|" + fmt.Sprint(s.MemoryBytes)
		if seen[key] {
			continue
		}
		seen[key] = true
		gpu := s.GPU.Reason
		if s.GPU.Available {
			var names []string
			for _, dv := range s.GPU.Devices {
				names = append(names, fmt.Sprintf("%s (%s)", dv.Name, bytesText(float64(dv.MemoryTotal))))
			}
			gpu = fmt.Sprintf("%s; driver %s, CUDA %s", strings.Join(names, ", "), s.GPU.DriverVersion, s.GPU.CUDAVersion)
		}
		t := Table{Title: "System " + s.Hostname, Columns: []string{"item", "value"}}
		t.Rows = [][]string{
			{"CPU", fmt.Sprintf("%s, %d cores", s.CPUModel, s.CPUCores)},
			{"CPU features", strings.Join(s.CPUFeatures, " ")},
			{"memory", bytesText(float64(s.MemoryBytes))},
			{"OS", fmt.Sprintf("%s, kernel %s, %s", s.OS, s.Kernel, s.Arch)},
			{"Go", fmt.Sprintf("%s, GOMAXPROCS %d", s.GoVersion, s.GOMAXPROCS)},
			{"GPU", gpu},
		}
		out = append(out, t)
	}
	return out
}

func configs(results []*Loaded) []ConfigText {
	var out []ConfigText
	index := map[string]int{}
	for _, l := range results {
		if l.Config == nil {
			continue
		}
		b, err := yaml.Marshal(l.Config)
		if err != nil {
			continue
		}
		text := string(b)
		if i, ok := index[text]; ok {
			out[i].Results = append(out[i].Results, filepath.Base(l.Path))
			continue
		}
		index[text] = len(out)
		out = append(out, ConfigText{Results: []string{filepath.Base(l.Path)}, YAML: text})
	}
	return out
}

// definitions are the metric definitions of this package and of every
// result (a suite adds its own, such as the memory suite's).
func definitions(results []*Loaded) []Definition {
	all := map[string]string{}
	for _, l := range results {
		for k, v := range l.Definitions {
			all[k] = v
		}
	}
	for k, v := range Definitions {
		all[k] = v
	}
	var out []Definition
	for k, v := range all {
		out = append(out, Definition{Name: k, Text: v})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// bytesText formats a byte count in binary units.
func bytesText(b float64) string {
	switch {
	case b >= 1<<30:
		return fmt.Sprintf("%.2f GiB", b/(1<<30))
	case b >= 1<<20:
		return fmt.Sprintf("%.1f MiB", b/(1<<20))
	case b >= 1<<10:
		return fmt.Sprintf("%.1f KiB", b/(1<<10))
	}
	return fmt.Sprintf("%.0f B", b)
}

// figure formats a value that may be missing.
func figure(v float64, ok bool) string {
	if !ok {
		return "-"
	}
	return num(v, 1)
}

// extraText formats an extra field's value for a cell.
func extraText(key string, v any) string {
	switch v := v.(type) {
	case float64:
		if strings.HasSuffix(key, "bytes") {
			return bytesText(v)
		}
		if v == float64(int64(v)) && v < 1e15 && v > -1e15 {
			return fmt.Sprintf("%d", int64(v))
		}
		return num(v, 1)
	case string:
		return v
	case nil:
		return ""
	}
	return fmt.Sprint(v)
}
