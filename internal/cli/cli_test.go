package cli

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/muaibench/muaibench/internal/engine/enginetest"
	"github.com/muaibench/muaibench/internal/report"
)

// TestMain lets the test binary stand in for muaibench when a test
// launches the embedded engine as a child process.
func TestMain(m *testing.M) {
	if os.Getenv("MUAIBENCH_TEST_MAIN") == "1" {
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		code := Main(ctx, os.Args[1:], os.Stdout, os.Stderr)
		stop()
		os.Exit(code)
	}
	childEnv = []string{"MUAIBENCH_TEST_MAIN=1"}
	os.Exit(m.Run())
}

// runCLI runs the command line in-process.
func runCLI(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = Main(context.Background(), args, &out, &errb)
	return code, out.String(), errb.String()
}

// writeConfig writes a small configuration whose results go under dir.
func writeConfig(t *testing.T, dir, extra string) string {
	t.Helper()
	path := filepath.Join(dir, "bench.yaml")
	body := "benchmark:\n  latency:\n    warmup_runs: 1\n    test_runs: 3\n    input_lengths: [16, 32]\n    output_lengths: [4, 8]\n    runs_by_input_length: {}\n  report:\n    output_dir: " + filepath.Join(dir, "out") + "\n" + extra
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// results returns the result JSON and records JSONL files in dir/out.
func results(t *testing.T, dir string) (jsons, jsonls []string) {
	t.Helper()
	jsons, _ = filepath.Glob(filepath.Join(dir, "out", "latency_results_*.json"))
	jsonls, _ = filepath.Glob(filepath.Join(dir, "out", "latency_results_*.jsonl"))
	return jsons, jsonls
}

func TestLatencyAgainstFakeEngine(t *testing.T) {
	srv := enginetest.NewServer(t, enginetest.Options{Model: "m", PromptTokens: 16})
	dir := t.TempDir()
	code, stdout, stderr := runCLI(t, "latency", "--config", writeConfig(t, dir, ""), "--engine", srv.URL, "--lengths", "16", "--dialect", "vllm")
	if code != 0 {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	for _, want := range []string{"L1", "16→4", "TTFT p50", "result: "} {
		if !strings.Contains(stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, stdout)
		}
	}
	jsons, jsonls := results(t, dir)
	if len(jsons) != 1 || len(jsonls) != 1 {
		t.Fatalf("got result files %v %v, want one of each", jsons, jsonls)
	}
	res, err := report.ReadFile(jsons[0])
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Scenarios) != 1 || res.Scenarios[0].Summary.Succeeded != 3 || res.Engine.Model != "m" || res.System.CPUCores == 0 {
		t.Errorf("got %+v, want one scenario of 3 requests against m with system info", res.Scenarios)
	}
	f, _ := os.Open(jsonls[0])
	defer f.Close()
	recs, err := report.ReadRecords(f)
	if err != nil || len(recs) != 4 || !recs[0].Warmup {
		t.Errorf("got %d records (err %v), want 4 with the warm-up first", len(recs), err)
	}
	if got := srv.Requests(); got != 4 {
		t.Errorf("engine got %d requests, want 4", got)
	}
	body := srv.LastBody()
	if body["ignore_eos"] != true || fmt.Sprint(body["max_tokens"]) != "4" {
		t.Errorf("got request body %v, want ignore_eos and max_tokens 4", body)
	}
}

func TestUnreachableEngineExitsTwoBeforeSending(t *testing.T) {
	dir := t.TempDir()
	code, _, stderr := runCLI(t, "latency", "--config", writeConfig(t, dir, ""), "--engine", "http://127.0.0.1:1", "--dialect", "vllm")
	if code != 2 {
		t.Errorf("got exit %d, want 2", code)
	}
	if strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, "cannot reach the engine at http://127.0.0.1:1: connection refused") {
		t.Errorf("got stderr %q, want one line saying the engine cannot be reached", stderr)
	}
	if jsons, jsonls := results(t, dir); len(jsons)+len(jsonls) != 0 {
		t.Errorf("got files %v %v, want none", jsons, jsonls)
	}
}

func TestBadInputIsOneLineAndExitTwo(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte("benchmark:\n  latency:\n    warmup_runs: -3\n"), 0o644)
	srv := enginetest.NewServer(t, enginetest.Options{Model: "m"})
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"negative runs", []string{"latency", "--config", bad}, "bad.yaml:3: benchmark.latency.warmup_runs: must be >= 0, got -3"},
		{"missing config", []string{"latency", "--config", filepath.Join(dir, "nope.yaml")}, "no such file"},
		{"unknown flag", []string{"latency", "--frobnicate"}, "unknown flag: --frobnicate"},
		{"unknown length", []string{"latency", "--config", writeConfig(t, dir, ""), "--lengths", "99"}, "--lengths: 99 is not one of the config's input_lengths [16 32]"},
		{"unknown model", []string{"latency", "--config", writeConfig(t, dir, ""), "--engine", srv.URL, "--model", "x", "--dialect", "vllm"}, `does not serve model "x" (it serves: m)`},
		{"unknown dialect", []string{"latency", "--config", writeConfig(t, dir, ""), "--engine", srv.URL, "--dialect", "bogus"}, "bogus"},
		{"unknown command", []string{"frobnicate"}, `unknown command "frobnicate"`},
		{"unknown quantization", []string{"serve", "--model", "tiny", "--quantization", "q3"}, `--quantization: unknown format "q3" (valid: fp32, fp16, int8, int4)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := runCLI(t, tt.args...)
			if code != 2 || !strings.Contains(stderr, tt.want) || strings.Count(stderr, "\n") != 1 {
				t.Errorf("got exit %d stderr %q, want 2 and one line containing %q", code, stderr, tt.want)
			}
			if strings.Contains(stderr, "goroutine") || strings.Contains(stderr, "panic") {
				t.Errorf("stack trace in %q", stderr)
			}
		})
	}
	if got := srv.Requests(); got != 0 {
		t.Errorf("engine got %d generation requests from bad invocations, want 0", got)
	}
}

func TestAPIKeyNeverWritten(t *testing.T) {
	const key = "sk-very-secret-123"
	t.Setenv("TEST_ENGINE_KEY", key)
	srv := enginetest.NewServer(t, enginetest.Options{Model: "m", Fail: enginetest.Failure{Mode: enginetest.FailStatus, Status: 401, Every: 2}})
	dir := t.TempDir()
	cfg := writeConfig(t, dir, "engines:\n  remote:\n    api: openai\n    url: "+srv.URL+"\n    model: m\n    api_key_env: TEST_ENGINE_KEY\n    tokenizer: gpt2\n    dialect: vllm\n")
	code, stdout, stderr := runCLI(t, "latency", "--config", cfg, "--engine", "remote", "--lengths", "16")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if got := srv.LastAuthorization(); got != "Bearer "+key {
		t.Errorf("engine got Authorization %q, want the key as a bearer token", got)
	}
	if strings.Contains(stdout+stderr, key) {
		t.Error("the API key appears in the output")
	}
	jsons, jsonls := results(t, dir)
	for _, p := range append(jsons, jsonls...) {
		data, _ := os.ReadFile(p)
		if bytes.Contains(data, []byte(key)) {
			t.Errorf("the API key appears in %s", p)
		}
	}
}

func TestLatencyOnTheEmbeddedEngine(t *testing.T) {
	if testing.Short() {
		t.Skip("launches the embedded engine")
	}
	dir := t.TempDir()
	code, stdout, stderr := runCLI(t, "latency", "--config", writeConfig(t, dir, "  model: tiny\n"), "--quick")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	jsons, _ := results(t, dir)
	if len(jsons) != 1 {
		t.Fatalf("got %v, want one result", jsons)
	}
	res, err := report.ReadFile(jsons[0])
	if err != nil {
		t.Fatal(err)
	}
	if !res.Engine.Launched || res.Engine.Weights != "synthetic" {
		t.Errorf("got engine %+v, want the launched embedded engine with synthetic weights", res.Engine)
	}
	for _, sc := range res.Scenarios {
		s := sc.Summary
		if s.Succeeded != 3 || s.Errors != 0 || s.OutputMismatches != 0 || s.PromptMismatches != 0 || s.UsageMissing != 0 {
			t.Errorf("%s: got %+v, want 3 clean requests with exact token counts", sc.Name, s)
		}
	}
	if !strings.Contains(stdout, "weights synthetic") {
		t.Errorf("stdout does not say the weights are synthetic:\n%s", stdout)
	}
	logs, _ := filepath.Glob(filepath.Join(dir, "out", "embedded_engine_*.log"))
	if len(logs) != 1 {
		t.Errorf("got engine logs %v, want one", logs)
	}
}

func TestHelp(t *testing.T) {
	for _, cmd := range [][]string{{"--help"}, {"latency", "--help"}, {"serve", "--help"}, {"env", "--help"}, {"version"}} {
		code, stdout, stderr := runCLI(t, cmd...)
		if code != 0 || stdout == "" || stderr != "" {
			t.Errorf("%v: exit %d, stdout %d bytes, stderr %q", cmd, code, len(stdout), stderr)
		}
	}
}

func TestServeStopsOnCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	var out, errb lockedBuffer
	done := make(chan int)
	go func() { done <- Main(ctx, []string{"serve", "--model", "tiny", "--addr", "127.0.0.1:0"}, &out, &errb) }()
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(errb.String(), "listening on") && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Errorf("got exit %d, want 0 (stderr %q)", code, errb.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not stop after its context was cancelled")
	}
}

// lockedBuffer is a bytes.Buffer safe to read while another goroutine
// writes.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func TestLatencyInterruptKeepsResult(t *testing.T) {
	srv := enginetest.NewServer(t, enginetest.Options{Model: "m", TTFT: 30 * time.Millisecond})
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// The run needs 21 × 30 ms; stop it once the first records are in.
	time.AfterFunc(150*time.Millisecond, cancel)
	var out, errb bytes.Buffer
	code := Main(ctx, []string{"latency", "--config", writeConfig(t, dir, ""), "--engine", srv.URL, "--dialect", "vllm", "--runs", "20", "--lengths", "16"}, &out, &errb)
	if code != 130 {
		t.Fatalf("got exit %d (stderr %q), want 130", code, errb.String())
	}
	jsons, jsonls := results(t, dir)
	if len(jsons) != 1 || len(jsonls) != 1 {
		t.Fatalf("got %v %v, want the result and records kept", jsons, jsonls)
	}
	res, err := report.ReadFile(jsons[0])
	if err != nil {
		t.Fatal(err)
	}
	if !res.Interrupted || res.Scenarios[0].Summary.Requests >= 20 {
		t.Errorf("got interrupted %v after %d requests, want an interrupted partial result", res.Interrupted, res.Scenarios[0].Summary.Requests)
	}
}

func TestLatencyChatAPI(t *testing.T) {
	srv := enginetest.NewServer(t, enginetest.Options{Model: "m"})
	dir := t.TempDir()
	code, _, stderr := runCLI(t, "latency", "--config", writeConfig(t, dir, ""), "--engine", srv.URL, "--dialect", "vllm", "--api", "chat", "--lengths", "16")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	body := srv.LastBody()
	if _, ok := body["messages"]; !ok {
		t.Errorf("got body %v, want a chat request", body)
	}
	jsons, _ := results(t, dir)
	res, _ := report.ReadFile(jsons[0])
	if s := res.Scenarios[0].Summary; s.Succeeded != 3 || s.TTFT.N != 3 {
		t.Errorf("got %+v, want 3 chat requests with a TTFT each (the role-only chunk not counted)", s)
	}
}
