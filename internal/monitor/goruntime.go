package monitor

import (
	"context"
	"runtime/metrics"
)

// goMetrics maps runtime/metrics names to series.
var goMetrics = []struct{ key, name, unit string }{
	{"/memory/classes/total:bytes", "go_memory_total_bytes", "bytes"},
	{"/memory/classes/heap/objects:bytes", "go_heap_objects_bytes", "bytes"},
	{"/gc/heap/goal:bytes", "go_heap_goal_bytes", "bytes"},
	{"/sched/goroutines:goroutines", "go_goroutines", "count"},
	{"/gc/cycles/total:gc-cycles", "go_gc_cycles_total", "count"},
}

// GoRuntime samples the Go runtime of muaibench itself, so that a
// benchmark client that grew or churned is visible next to the engine.
type GoRuntime struct{}

// Name is "go".
func (GoRuntime) Name() string { return SourceGo }

// Sample reads the runtime's metrics.
func (GoRuntime) Sample(context.Context) ([]Value, error) {
	s := make([]metrics.Sample, len(goMetrics))
	for i, m := range goMetrics {
		s[i].Name = m.key
	}
	metrics.Read(s)
	out := make([]Value, 0, len(s))
	for i, m := range goMetrics {
		if s[i].Value.Kind() == metrics.KindUint64 {
			out = append(out, Value{m.name, m.unit, SourceGo, float64(s[i].Value.Uint64())})
		}
	}
	return out, nil
}
