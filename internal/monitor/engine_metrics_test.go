package monitor

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func parseFile(t *testing.T, path string) map[string]Value {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	vals, err := ParseMetrics(f)
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]Value{}
	for _, v := range vals {
		m[v.Name] = v
	}
	return m
}

func TestParseMetrics(t *testing.T) {
	tests := []struct {
		file string
		want map[string]Value
		n    int
	}{
		{"testdata/llamacpp_metrics.prom", map[string]Value{
			"llamacpp:prompt_tokens_total":      {"llamacpp:prompt_tokens_total", "count", SourceEngine, 60},
			"llamacpp:requests_processing":      {"llamacpp:requests_processing", "", SourceEngine, 0},
			"llamacpp:predicted_tokens_seconds": {"llamacpp:predicted_tokens_seconds", "tokens/s", SourceEngine, 95.2381},
			"llamacpp:prompt_seconds_total":     {"llamacpp:prompt_seconds_total", "seconds", SourceEngine, 0.132},
		}, 11},
		{"testdata/vllm_metrics.prom", map[string]Value{
			"vllm:kv_cache_usage_perc":        {"vllm:kv_cache_usage_perc", "ratio", SourceEngine, 0.4375},
			"vllm:gpu_cache_usage_perc":       {"vllm:gpu_cache_usage_perc", "ratio", SourceEngine, 0.4375},
			"vllm:num_requests_running":       {"vllm:num_requests_running", "", SourceEngine, 3},
			"vllm:num_requests_waiting":       {"vllm:num_requests_waiting", "", SourceEngine, 1},
			"vllm:prefix_cache_hits_total":    {"vllm:prefix_cache_hits_total", "count", SourceEngine, 1024},
			"vllm:prefix_cache_queries_total": {"vllm:prefix_cache_queries_total", "count", SourceEngine, 4096},
			"process_resident_memory_bytes":   {"process_resident_memory_bytes", "bytes", SourceEngine, 2147483648},
		}, 10},
		{"testdata/tgi_metrics.prom", map[string]Value{
			"tgi_queue_size":         {"tgi_queue_size", "", SourceEngine, 2},
			"tgi_batch_current_size": {"tgi_batch_current_size", "", SourceEngine, 4},
		}, 4},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			got := parseFile(t, tt.file)
			for name, want := range tt.want {
				if diff := cmp.Diff(want, got[name]); diff != "" {
					t.Errorf("%s (-want +got):\n%s", name, diff)
				}
			}
			if len(got) != tt.n {
				t.Errorf("got %d metrics, want %d: %v", len(got), tt.n, got)
			}
			if _, ok := got["vllm:time_to_first_token_seconds"]; ok {
				t.Error("got a histogram, want histograms left out")
			}
			if _, ok := got["python_gc_objects_collected_total"]; ok {
				t.Error("got python_gc_objects_collected_total, want only engine metrics")
			}
		})
	}
}

func TestParseMetricsSumsLabelSetsButNotRatios(t *testing.T) {
	text := `# TYPE muaibench_kv_cache_bytes_used gauge
muaibench_kv_cache_bytes_used{model="a"} 100
muaibench_kv_cache_bytes_used{model="b"} 23
# TYPE muaibench_kv_cache_usage_ratio gauge
muaibench_kv_cache_usage_ratio{model="a"} 0.25
muaibench_kv_cache_usage_ratio{model="b"} 0.5
`
	vals, err := ParseMetrics(strings.NewReader(text))
	if err != nil {
		t.Fatal(err)
	}
	want := []Value{
		{"muaibench_kv_cache_bytes_used", "bytes", SourceEngine, 123},
		{"muaibench_kv_cache_usage_ratio", "ratio", SourceEngine, 0.5},
	}
	if diff := cmp.Diff(want, vals); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestParseMetricsRejectsGarbage(t *testing.T) {
	if _, err := ParseMetrics(strings.NewReader("this is { not prometheus\n")); err == nil {
		t.Error("got no error for text that is not Prometheus exposition")
	}
}

func FuzzParseMetrics(f *testing.F) {
	for _, p := range []string{"testdata/llamacpp_metrics.prom", "testdata/vllm_metrics.prom", "testdata/tgi_metrics.prom"} {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(string(data))
	}
	f.Fuzz(func(t *testing.T, s string) {
		ParseMetrics(strings.NewReader(s)) // must not panic
	})
}

func TestEngineScrape(t *testing.T) {
	data, err := os.ReadFile("testdata/vllm_metrics.prom")
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/metrics" {
			http.NotFound(w, r)
			return
		}
		w.Write(data)
	}))
	defer srv.Close()
	e := &Engine{URL: MetricsURL(srv.URL + "/v1")}
	vals, err := e.Sample(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if v, ok := Lookup(vals, "vllm:kv_cache_usage_perc"); !ok || v != 0.4375 {
		t.Errorf("got kv usage %v %v, want 0.4375", v, ok)
	}
	bad := &Engine{URL: srv.URL + "/nope"}
	if _, err := bad.Sample(context.Background()); err == nil || !strings.Contains(err.Error(), "HTTP 404") {
		t.Errorf("got %v, want an HTTP 404 error", err)
	}
}
