package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/muaibench/muaibench/internal/engine/enginetest"
	"github.com/muaibench/muaibench/internal/report"
)

// loadResult reads the one result of the given suite in dir/out.
func loadResult(t *testing.T, dir, suite string) (*report.Result, string) {
	t.Helper()
	jsons, _ := filepath.Glob(filepath.Join(dir, "out", suite+"_results_*[0-9].json"))
	if len(jsons) != 1 {
		t.Fatalf("got result files %v, want one", jsons)
	}
	res, err := report.ReadFile(jsons[0])
	if err != nil {
		t.Fatal(err)
	}
	return res, strings.TrimSuffix(jsons[0], ".json")
}

func TestThroughputCommandAgainstFakeEngine(t *testing.T) {
	srv := enginetest.NewServer(t, enginetest.Options{Model: "m", TTFT: 2 * time.Millisecond, PromptTokens: 16})
	dir := t.TempDir()
	code, stdout, stderr := runCLI(t, "throughput", "--config", writeConfig(t, dir, ""), "--engine", srv.URL, "--dialect", "vllm",
		"--concurrency", "1,2", "--duration", "200ms", "--warmup", "20ms", "--input-length", "16", "--output-length", "4")
	if code != 0 {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	for _, want := range []string{"T1", "T2", "c=2", "req/s", "peak:", "result: "} {
		if !strings.Contains(stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, stdout)
		}
	}
	if !strings.Contains(stderr, "T1: ") {
		t.Errorf("stderr has no progress line: %q", stderr)
	}
	res, base := loadResult(t, dir, "throughput")
	if len(res.Scenarios) != 2 || res.Throughput == nil || res.Scenarios[1].Load.Concurrency != 2 || res.Scenarios[0].Generator == nil {
		t.Errorf("got %+v, want T1 and T2 with the load and the generator's cost", res.Scenarios)
	}
	f, err := os.Open(base + ".jsonl")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := report.ReadRecords(f)
	if err != nil || int64(len(recs)) != srv.Requests() {
		t.Errorf("got %d records (%v), engine saw %d", len(recs), err, srv.Requests())
	}
}

func TestStressCommandAgainstFakeEngine(t *testing.T) {
	srv := enginetest.NewServer(t, enginetest.Options{Model: "m", TTFT: 2 * time.Millisecond, PromptTokens: 16})
	dir := t.TempDir()
	code, stdout, stderr := runCLI(t, "stress", "--config", writeConfig(t, dir, "  throughput:\n    input_length: 16\n    output_length: 4\n    warmup: 50ms\n"),
		"--engine", srv.URL, "--dialect", "vllm", "--capacity", "40", "--scenario", "S1,S3", "--duration", "600ms", "--window", "100ms")
	if code != 0 {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	for _, want := range []string{"S1 health", "recovery", "capacity: 40 requests/s (given)", "windows: "} {
		if !strings.Contains(stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, stdout)
		}
	}
	res, base := loadResult(t, dir, "stress")
	data, err := os.ReadFile(base + ".windows.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	ws, err := report.ReadWindows(bytes.NewReader(data))
	if err != nil || len(ws) != len(res.Scenarios[0].Windows)+len(res.Scenarios[1].Windows) || len(ws) < 12 {
		t.Errorf("got %d windows on disk (%v), want every window of S1 and S3", len(ws), err)
	}
	if res.Stress.WindowsFile == "" || len(res.Scenarios[1].Health) != 5 {
		t.Errorf("got stress %+v, S3 health %+v", res.Stress, res.Scenarios[1].Health)
	}
}

func TestStressInterruptedExits130WithThePartialResult(t *testing.T) {
	srv := enginetest.NewServer(t, enginetest.Options{Model: "m", TTFT: 2 * time.Millisecond, PromptTokens: 16})
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 1500*time.Millisecond)
	defer cancel()
	var out, errb bytes.Buffer
	code := Main(ctx, []string{"stress", "--config", writeConfig(t, dir, "  throughput:\n    input_length: 16\n    output_length: 4\n    warmup: 0s\n"),
		"--engine", srv.URL, "--dialect", "vllm", "--capacity", "40", "--duration", "1h", "--window", "200ms"}, &out, &errb)
	if code != 130 {
		t.Fatalf("exit %d, want 130; stderr %q", code, errb.String())
	}
	res, _ := loadResult(t, dir, "stress")
	if !res.Interrupted || len(res.Scenarios) != 1 || len(res.Scenarios[0].Windows) < 3 || res.Scenarios[0].Summary.Succeeded == 0 {
		t.Errorf("got interrupted %v, scenarios %d; want S1's windows and requests so far", res.Interrupted, len(res.Scenarios))
	}
}

func TestLoadCommandsRejectBadFlags(t *testing.T) {
	dir := t.TempDir()
	cfg := writeConfig(t, dir, "")
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"stress", "--config", cfg, "--load", "lots"}, `--load: "lots" is neither a percentage nor "variable"`},
		{[]string{"stress", "--config", cfg, "--scenario", "S9"}, `--scenario: "S9" is not one of S1, S2, S3, S4, S5 or all`},
		{[]string{"stress", "--config", cfg, "--load", "0"}, "benchmark.stress.load: must be a percentage"},
		{[]string{"throughput", "--config", cfg, "--concurrency", "1,x"}, `--concurrency: "x" is not a positive number`},
		{[]string{"throughput", "--config", cfg, "--duration", "-1s"}, "benchmark.throughput.duration"},
	} {
		code, _, stderr := runCLI(t, tt.args...)
		if code != 2 || !strings.Contains(stderr, tt.want) {
			t.Errorf("%v: got exit %d stderr %q, want 2 and %q", tt.args, code, stderr, tt.want)
		}
	}
}

// TestThroughputOnTheEmbeddedEngine runs T7 against the embedded engine:
// once with its continuous batching, once launched again with
// --no-batching, and reports the gain.
func TestThroughputOnTheEmbeddedEngine(t *testing.T) {
	if testing.Short() {
		t.Skip("launches the embedded engine")
	}
	dir := t.TempDir()
	code, stdout, stderr := runCLI(t, "throughput", "--config", writeConfig(t, dir, "  model: tiny\n"),
		"--dynamic-batching", "--duration", "1s", "--warmup", "200ms", "--input-length", "8", "--output-length", "8")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	res, _ := loadResult(t, dir, "throughput")
	if !res.Engine.Launched || len(res.Scenarios) != 2 {
		t.Fatalf("got engine %+v and %d scenarios, want the launched engine, T7 and T7-ref", res.Engine, len(res.Scenarios))
	}
	for _, s := range res.Scenarios {
		m := s.Summary
		if m.Succeeded == 0 || m.Errors != 0 || m.OutputMismatches != 0 || m.UsageMissing != 0 {
			t.Errorf("%s: got %+v, want clean requests with exact token counts", s.Name, m)
		}
	}
	g := res.Throughput.BatchingGain
	if g == nil || g.Gain <= 0 || !strings.Contains(g.Reference, "--no-batching") || res.Scenarios[1].Load.Engine == "" {
		t.Errorf("got batching gain %+v, want one against --no-batching", g)
	}
	if !strings.Contains(stdout, "dynamic batching (T7)") {
		t.Errorf("stdout lacks the batching gain:\n%s", stdout)
	}
	logs, _ := filepath.Glob(filepath.Join(dir, "out", "*no-batching*.log"))
	if len(logs) != 1 {
		t.Errorf("got logs %v, want one of the engine without batching", logs)
	}
}

func TestLoadCommandsHelp(t *testing.T) {
	for _, cmd := range []string{"throughput", "stress"} {
		code, stdout, stderr := runCLI(t, cmd, "--help")
		if code != 0 || !strings.Contains(stdout, "muaibench "+cmd) || stderr != "" {
			t.Errorf("%s --help: exit %d, stdout %d bytes, stderr %q", cmd, code, len(stdout), stderr)
		}
	}
	_, stdout, _ := runCLI(t, "--help")
	if !strings.Contains(stdout, "throughput") || !strings.Contains(stdout, "stress") {
		t.Errorf("root help lists no throughput or stress:\n%s", stdout)
	}
}
