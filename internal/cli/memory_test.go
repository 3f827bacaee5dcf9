package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/muaibench/muaibench/internal/config"
	"github.com/muaibench/muaibench/internal/engine/enginetest"
	"github.com/muaibench/muaibench/internal/report"
)

// children lists this process's running (not zombie) children.
func children(t *testing.T) []int {
	t.Helper()
	entries, _ := os.ReadDir("/proc")
	var out []int
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		f := strings.Fields(string(data[strings.LastIndexByte(string(data), ')')+1:]))
		var ppid, pid int
		fmt.Sscan(f[1], &ppid)
		fmt.Sscan(e.Name(), &pid)
		if ppid == os.Getpid() && f[0] != "Z" {
			out = append(out, pid)
		}
	}
	return out
}

// noChildrenLeft fails when a launched engine outlived the command.
func noChildrenLeft(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for len(children(t)) > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("engine processes %v left behind", children(t))
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func memoryResult(t *testing.T, dir string) *report.Result {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(dir, "out", "memory_results_*.json"))
	if len(files) != 1 {
		t.Fatalf("got result files %v, want one", files)
	}
	res, err := report.ReadFile(files[0])
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func scenario(t *testing.T, res *report.Result, name string) report.Scenario {
	t.Helper()
	for _, s := range res.Scenarios {
		if s.Name == name {
			return s
		}
	}
	t.Fatalf("no scenario %s in %d scenarios", name, len(res.Scenarios))
	return report.Scenario{}
}

func TestMemoryOnTheEmbeddedEngine(t *testing.T) {
	dir := t.TempDir()
	cfg := writeConfig(t, dir, "  memory:\n    sample_interval: 100ms\n")
	code, stdout, stderr := runCLI(t, "memory", "--quick", "--config", cfg, "--model", "tiny")
	if code != 0 {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	noChildrenLeft(t)
	for _, want := range []string{"M1 fp32", "KV cache: 1024 bytes/token (measured", "M6 leak:", "result: "} {
		if !strings.Contains(stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, stdout)
		}
	}
	res := memoryResult(t, dir)
	m1 := scenario(t, res, "M1 fp32")
	if m1.Skipped != "" || m1.Memory.RSSBytes < 10<<20 || m1.Memory.ReadySeconds <= 0 || m1.Memory.WeightBytes <= 0 {
		t.Errorf("got M1 %q %+v, want an RSS, a ready time and the weights' size", m1.Skipped, m1.Memory)
	}
	if m2 := scenario(t, res, "M2 int8"); m2.Skipped != "not available: the embedded engine has no --quantization yet (issue 4)" && !serveHasQuantization() {
		t.Errorf("got M2 skipped %q, want not available with the reason", m2.Skipped)
	}
	if serveHasQuantization() {
		for _, name := range []string{"M2 int8", "M3 int4"} {
			m := scenario(t, res, name)
			if m.Skipped != "" || m.Memory.WeightBytes <= 0 || m.Memory.WeightBytes >= m1.Memory.WeightBytes {
				t.Errorf("got %s %q weight bytes %d, want run with fewer weight bytes than M1's %d", name, m.Skipped, m.Memory.WeightBytes, m1.Memory.WeightBytes)
			}
		}
	}
	m4 := scenario(t, res, "M4")
	if m4.Skipped != "" || m4.Summary.Succeeded != 3 || m4.Memory.BeforeRSSBytes == 0 || m4.Memory.PeakRSSBytes < m4.Memory.BeforeRSSBytes {
		t.Errorf("got M4 %q %+v, want 3 requests and before <= peak", m4.Skipped, m4.Memory)
	}
	if kv := scenario(t, res, "M5").Memory.KV; kv == nil || kv.Estimated || kv.BytesPerToken != 2*2*2*32*4 {
		t.Errorf("got M5 %+v, want 1024 bytes/token measured", kv)
	}
	m6 := scenario(t, res, "M6")
	if d := m6.Memory.Drift; d == nil || m6.Memory.Iterations != 30 || d.Verdict != "inconclusive" || !strings.Contains(d.Reason, "--quick smoke test") {
		t.Errorf("got M6 %+v, want 30 samples and no verdict from a smoke test", m6.Memory)
	}
	for _, name := range []string{"process_rss_bytes", "muaibench_kv_cache_bytes_used", "go_goroutines", "leak_rss_bytes"} {
		found := false
		for _, s := range res.Series {
			found = found || s.Name == name && len(s.Points) > 0
		}
		if !found {
			t.Errorf("result has no %s series", name)
		}
	}
}

func TestMemoryLaunchTemplate(t *testing.T) {
	dir := t.TempDir()
	cfg := writeConfig(t, dir, fmt.Sprintf(`  engine: tmpl
engines:
  tmpl:
    launch: [%q, serve, --addr, "{host}:{port}", --model, "{model}"]
    model: tiny
    tokenizer: gpt2
    quantizations: {fp32: "", int8: q8}
`, os.Args[0]))
	code, stdout, stderr := runCLI(t, "memory", "--all-quantizations", "--load-iterations", "2", "--quantizations", "fp32,int8,int4", "--config", cfg)
	if code != 0 {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	noChildrenLeft(t)
	res := memoryResult(t, dir)
	if m1 := scenario(t, res, "M1 fp32"); m1.Memory.Iterations != 2 || m1.Memory.RSSBytes == 0 {
		t.Errorf("got M1 %q %+v, want 2 launches measured", m1.Skipped, m1.Memory)
	}
	if m2 := scenario(t, res, "M2 int8"); m2.Skipped != "not available: engines.tmpl.launch has no {quantization} placeholder" {
		t.Errorf("got M2 skipped %q", m2.Skipped)
	}
	if m3 := scenario(t, res, "M3 int4"); m3.Skipped != "not available: engines.tmpl.quantizations does not list int4" {
		t.Errorf("got M3 skipped %q", m3.Skipped)
	}
	if !strings.Contains(stderr, "launching tmpl (tiny)") {
		t.Errorf("stderr lacks the launch line:\n%s", stderr)
	}
	_ = stdout
}

func TestMemoryOfAnEngineItDidNotLaunch(t *testing.T) {
	srv := enginetest.NewServer(t, enginetest.Options{Model: "m"})
	dir := t.TempDir()
	code, stdout, stderr := runCLI(t, "memory", "--all-quantizations", "--inference", "--config", writeConfig(t, dir, ""), "--engine", srv.URL, "--dialect", "vllm")
	if code != 0 {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	res := memoryResult(t, dir)
	if m1 := scenario(t, res, "M1 fp32"); !strings.Contains(m1.Skipped, "muaibench did not launch this engine") {
		t.Errorf("got M1 skipped %q", m1.Skipped)
	}
	if m4 := scenario(t, res, "M4"); !strings.Contains(m4.Skipped, "not launched by muaibench") {
		t.Errorf("got M4 skipped %q, want why its memory cannot be read", m4.Skipped)
	}
	if !strings.Contains(stdout, "not available") {
		t.Errorf("stdout lacks not available:\n%s", stdout)
	}
}

func TestQuantizationValue(t *testing.T) {
	withQ := []string{"vllm", "serve", "--port", "{port}", "--quantization", "{quantization}"}
	noQ := []string{"srv", "{port}"}
	type qcase struct {
		name          string
		e             config.Engine
		q             string
		value, reason string
	}
	tests := []qcase{
		{"template passes the name", config.Engine{Launch: withQ}, "int8", "int8", ""},
		{"map", config.Engine{Launch: withQ, Quantizations: map[string]string{"fp32": "", "int8": "bitsandbytes"}}, "int8", "bitsandbytes", ""},
		{"map leaves the flag out", config.Engine{Launch: withQ, Quantizations: map[string]string{"fp32": ""}}, "fp32", "", ""},
		{"map lacks it", config.Engine{Launch: withQ, Quantizations: map[string]string{"fp32": ""}}, "int4", "", "engines.e.quantizations does not list int4"},
		{"no placeholder, fp32", config.Engine{Launch: noQ}, "fp32", "", ""},
		{"no placeholder, int8", config.Engine{Launch: noQ}, "int8", "", "engines.e.launch has no {quantization} placeholder"},
	}
	if serveHasQuantization() {
		tests = append(tests, qcase{"embedded int8", config.Engine{}, "int8", "int8", ""})
	} else {
		tests = append(tests,
			qcase{"embedded fp32", config.Engine{}, "fp32", "", ""},
			qcase{"embedded int8", config.Engine{}, "int8", "", "the embedded engine has no --quantization yet (issue 4)"})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, why := quantizationValue("e", &tt.e, tt.q)
			if v != tt.value || why != tt.reason {
				t.Errorf("got %q %q, want %q %q", v, why, tt.value, tt.reason)
			}
		})
	}
}

// TestMemoryKVCacheFP16 checks that engines.embedded.kv_cache_dtype
// reaches the launched engine: M5 measures half the FP32 cache's bytes
// per token, and the card's estimate agrees.
func TestMemoryKVCacheFP16(t *testing.T) {
	dir := t.TempDir()
	cfg := writeConfig(t, dir, "  memory:\n    sample_interval: 100ms\nengines:\n  embedded:\n    kv_cache_dtype: fp16\n")
	code, stdout, stderr := runCLI(t, "memory", "--quick", "--kv-cache", "--config", cfg, "--model", "tiny")
	if code != 0 {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	noChildrenLeft(t)
	if !strings.Contains(stdout, "KV cache: 512 bytes/token (measured") {
		t.Errorf("stdout lacks the FP16 cache's 512 bytes/token:\n%s", stdout)
	}
	if kv := scenario(t, memoryResult(t, dir), "M5").Memory.KV; kv == nil || kv.Estimated || kv.BytesPerToken != 2*2*2*32*2 {
		t.Errorf("got M5 %+v, want 512 bytes/token measured", kv)
	}
}
