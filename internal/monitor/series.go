package monitor

import (
	"slices"
	"time"
)

// Point is one sample: T seconds after the series' start, value V.
type Point struct {
	T float64 `json:"t"`
	V float64 `json:"v"`
}

// Series is one measured quantity over time, in the form results carry
// and reports draw.
type Series struct {
	// Name identifies the quantity: "process_rss_bytes",
	// "gpu0_memory_used_bytes", "vllm:kv_cache_usage_perc", ...
	Name string `json:"name"`
	// Unit is bytes, ratio, percent, watts, seconds, count or "".
	Unit string `json:"unit"`
	// Source is where the values came from: process, gpu, engine or go.
	Source string  `json:"source"`
	Points []Point `json:"points"`
}

// Value is one reading of a sampler.
type Value struct {
	Name   string
	Unit   string
	Source string
	V      float64
}

// Last returns the series' last value, false when it has none.
func (s *Series) Last() (float64, bool) {
	if len(s.Points) == 0 {
		return 0, false
	}
	return s.Points[len(s.Points)-1].V, true
}

// Max returns the series' largest value, false when it has none.
func (s *Series) Max() (float64, bool) {
	if len(s.Points) == 0 {
		return 0, false
	}
	m := s.Points[0].V
	for _, p := range s.Points[1:] {
		m = max(m, p.V)
	}
	return m, true
}

// Between returns the points with from <= T <= to.
func (s *Series) Between(from, to float64) []Point {
	var out []Point
	for _, p := range s.Points {
		if p.T >= from && p.T <= to {
			out = append(out, p)
		}
	}
	return out
}

// Find returns the series of that name, nil when there is none.
func Find(series []Series, name string) *Series {
	for i := range series {
		if series[i].Name == name {
			return &series[i]
		}
	}
	return nil
}

// store accumulates values into series by name; not safe for concurrent
// use on its own.
type store struct {
	start  time.Time
	series map[string]*Series
}

func (s *store) add(at time.Time, vals []Value) {
	t := at.Sub(s.start).Seconds()
	for _, v := range vals {
		sr := s.series[v.Name]
		if sr == nil {
			sr = &Series{Name: v.Name, Unit: v.Unit, Source: v.Source}
			s.series[v.Name] = sr
		}
		sr.Points = append(sr.Points, Point{T: t, V: v.V})
	}
}

// snapshot copies the series, sorted by source then name.
func (s *store) snapshot() []Series {
	out := make([]Series, 0, len(s.series))
	for _, sr := range s.series {
		c := *sr
		c.Points = slices.Clone(sr.Points)
		out = append(out, c)
	}
	slices.SortFunc(out, func(a, b Series) int {
		if a.Source != b.Source {
			return sourceRank(a.Source) - sourceRank(b.Source)
		}
		if a.Name < b.Name {
			return -1
		}
		if a.Name > b.Name {
			return 1
		}
		return 0
	})
	return out
}

func sourceRank(s string) int {
	switch s {
	case SourceProcess:
		return 0
	case SourceGPU:
		return 1
	case SourceEngine:
		return 2
	case SourceGo:
		return 3
	}
	return 4
}

// Sources of series.
const (
	SourceProcess = "process" // /proc, the engine's process tree
	SourceGPU     = "gpu"     // NVML
	SourceEngine  = "engine"  // the engine's Prometheus /metrics
	SourceGo      = "go"      // the Go runtime of muaibench itself
)
