package monitor

import (
	"context"
	"fmt"
	"io"
	"math"
	"net/http"
	"strings"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// enginePrefixes are the metric families kept from an engine's /metrics:
// vLLM's vllm:*, SGLang's sglang:*, TGI's tgi_*, llama.cpp's llamacpp:*,
// the embedded engine's muaibench_*.
var enginePrefixes = []string{"vllm:", "sglang:", "tgi_", "llamacpp:", "muaibench_"}

// engineExtra are generic families kept too: the process collector's RSS
// is how an engine that muaibench did not launch reports its memory, and
// a Go engine's heap (in use, and the collector's next target) tells a
// leak from garbage awaiting collection.
var engineExtra = []string{"process_resident_memory_bytes", "go_memstats_heap_inuse_bytes", "go_memstats_next_gc_bytes"}

// ProcessResidentMemory is the Prometheus process collector's RSS gauge.
const ProcessResidentMemory = "process_resident_memory_bytes"

// ParseMetrics reads Prometheus text exposition and returns the engine
// metrics it knows (see enginePrefixes): one value per counter, gauge or
// untyped family. A family with several label sets (one per model, say)
// is summed, except ratios and percentages (names ending in _perc,
// _ratio, _rate or _percent), which take the largest. Histograms and
// summaries are left out.
func ParseMetrics(r io.Reader) ([]Value, error) {
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(r)
	if err != nil {
		return nil, fmt.Errorf("monitor: metrics: %w", err)
	}
	var out []Value
	for name, fam := range fams {
		if !keep(name) {
			continue
		}
		var vals []float64
		for _, m := range fam.GetMetric() {
			switch fam.GetType() {
			case dto.MetricType_COUNTER:
				vals = append(vals, m.GetCounter().GetValue())
			case dto.MetricType_GAUGE:
				vals = append(vals, m.GetGauge().GetValue())
			case dto.MetricType_UNTYPED:
				vals = append(vals, m.GetUntyped().GetValue())
			}
		}
		if len(vals) == 0 {
			continue
		}
		v := 0.0
		if isRatio(name) {
			v = math.Inf(-1)
			for _, x := range vals {
				v = max(v, x)
			}
		} else {
			for _, x := range vals {
				v += x
			}
		}
		out = append(out, Value{Name: name, Unit: unitOf(name), Source: SourceEngine, V: v})
	}
	sortValues(out)
	return out, nil
}

func keep(name string) bool {
	for _, p := range enginePrefixes {
		if strings.HasPrefix(name, p) {
			return true
		}
	}
	for _, n := range engineExtra {
		if name == n {
			return true
		}
	}
	return false
}

func isRatio(name string) bool {
	for _, s := range []string{"_perc", "_ratio", "_rate", "_percent"} {
		if strings.HasSuffix(name, s) {
			return true
		}
	}
	return false
}

// unitOf infers a metric's unit from the Prometheus naming conventions.
func unitOf(name string) string {
	n := strings.TrimSuffix(name, "_total")
	switch {
	case strings.HasSuffix(n, "_bytes") || strings.Contains(n, "_bytes_"):
		return "bytes"
	case strings.HasSuffix(n, "_tokens_seconds"): // llama.cpp's throughput gauges
		return "tokens/s"
	case strings.HasSuffix(n, "_seconds"):
		return "seconds"
	case strings.HasSuffix(n, "_percent"):
		return "percent"
	case isRatio(n):
		return "ratio"
	case strings.HasSuffix(name, "_total"):
		return "count"
	}
	return ""
}

func sortValues(v []Value) {
	for i := 1; i < len(v); i++ {
		for j := i; j > 0 && v[j].Name < v[j-1].Name; j-- {
			v[j], v[j-1] = v[j-1], v[j]
		}
	}
}

// Engine scrapes an engine's Prometheus /metrics.
type Engine struct {
	// URL is the metrics endpoint, e.g. http://127.0.0.1:8000/metrics.
	URL string
	// Client does the scrape; nil means one with a 5-second timeout.
	Client *http.Client
}

// MetricsURL returns the /metrics endpoint of an engine's base URL (with
// or without a trailing /v1).
func MetricsURL(base string) string {
	return strings.TrimSuffix(strings.TrimSuffix(base, "/"), "/v1") + "/metrics"
}

// Name is "engine".
func (e *Engine) Name() string { return SourceEngine }

var defaultScrapeClient = &http.Client{Timeout: 5 * time.Second}

// Sample scrapes the endpoint once.
func (e *Engine) Sample(ctx context.Context) ([]Value, error) {
	c := e.Client
	if c == nil {
		c = defaultScrapeClient
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, e.URL, nil)
	if err != nil {
		return nil, fmt.Errorf("monitor: metrics %s: %w", e.URL, err)
	}
	req.Header.Set("Accept", "text/plain;version=0.0.4")
	resp, err := c.Do(req)
	if err != nil {
		return nil, fmt.Errorf("monitor: metrics: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("monitor: metrics %s: HTTP %d", e.URL, resp.StatusCode)
	}
	return ParseMetrics(io.LimitReader(resp.Body, 32<<20))
}
