package cli

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"encoding/xml"
	"errors"
	"image/png"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/muaibench/muaibench/internal/engine/enginetest"
	"github.com/muaibench/muaibench/internal/report"
)

// TestRunQuickOnTheEmbeddedEngine runs the one command on the tiny model
// and checks that every file it says it wrote exists and parses.
func TestRunQuickOnTheEmbeddedEngine(t *testing.T) {
	if testing.Short() {
		t.Skip("launches the embedded engine")
	}
	dir := t.TempDir()
	cfg := filepath.Join(dir, "bench.yaml")
	os.WriteFile(cfg, []byte(`benchmark:
  model: tiny
  latency:
    warmup_runs: 1
    input_lengths: [16, 32]
    output_lengths: [4, 8]
    runs_by_input_length: {}
  throughput:
    input_length: 16
    output_length: 8
  report:
    output_dir: `+filepath.Join(dir, "out")+`
    report_dir: `+filepath.Join(dir, "reports")+`
`), 0o644)
	// The suites' quick settings, shrunk to seconds for the tiny model.
	saved := phaseArgs
	t.Cleanup(func() { phaseArgs = saved })
	phaseArgs = map[string][2][]string{
		"memory":     {{"--quick", "--quantizations", "fp32", "--iterations", "8", "--requests", "2"}},
		"throughput": {{"--all-concurrency", "--concurrency", "1,2", "--duration", "1s", "--warmup", "0s"}},
		"stress":     {{"--scenario", "S1", "--duration", "2s", "--window", "1s"}},
	}

	code, stdout, stderr := runCLI(t, "run", "--config", cfg, "--quick")
	if code != 0 {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	for _, want := range []string{"== environment", "engine ", "ok: serves tiny", "== latency", "== memory", "== throughput", "== stress", "== reports", "done in"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, stdout)
		}
	}
	var written []string
	for _, line := range strings.Split(stdout, "\n") {
		if p, ok := strings.CutPrefix(line, "wrote "); ok {
			written = append(written, p)
		}
	}
	for _, line := range strings.Split(stdout, "\n") {
		for _, bad := range []string{"not run: ", "latency failed: ", "memory failed: ", "throughput failed: ", "stress failed: "} {
			if strings.HasPrefix(line, bad) {
				t.Errorf("a phase did not run: %s", line)
			}
		}
	}
	for _, suite := range []string{"memory", "throughput", "stress"} {
		if got, _ := filepath.Glob(filepath.Join(dir, "out", suite+"_results_*[0-9].json")); len(got) != 1 {
			t.Errorf("got %s results %v, want one", suite, got)
		}
	}
	jsons, _ := filepath.Glob(filepath.Join(dir, "out", "latency_results_*.json"))
	if len(jsons) != 1 {
		t.Fatalf("got results %v, want one", jsons)
	}
	for _, p := range jsons {
		res, err := report.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if res.Run == nil || res.Run.Repeats != 1 || !res.Run.Quick {
			t.Errorf("%s: got run %+v, want a quick run", p, res.Run)
		}
		f, err := os.Open(strings.TrimSuffix(p, ".json") + ".jsonl")
		if err != nil {
			t.Fatal(err)
		}
		recs, err := report.ReadRecords(f)
		f.Close()
		if err != nil || len(recs) == 0 {
			t.Errorf("%s: got %d records, err %v", p, len(recs), err)
		}
	}
	kinds := map[string]bool{}
	for _, p := range written {
		kinds[filepath.Ext(p)] = true
		checkParses(t, p)
	}
	for _, ext := range []string{".html", ".md", ".csv", ".json", ".png", ".svg"} {
		if !kinds[ext] {
			t.Errorf("no %s file among %v", ext, written)
		}
	}
	for _, chart := range []string{"latency_comparison", "memory_usage", "throughput_scaling"} {
		for _, ext := range []string{".png", ".svg"} {
			if _, err := os.Stat(filepath.Join(dir, "reports", "charts", chart+ext)); err != nil {
				t.Error(err)
			}
		}
	}

	// --repeat runs each suite again and reports the variation.
	code, stdout, stderr = runCLI(t, "run", "--config", cfg, "--quick", "--phases", "latency", "--repeat", "3")
	if code != 0 {
		t.Fatalf("--repeat 3: exit %d\n%s", code, stderr)
	}
	if !strings.Contains(stdout, "reproducibility: ") || !strings.Contains(stdout, "across 3 repetitions") {
		t.Errorf("--repeat 3 does not report the variation:\n%s", stdout)
	}
	var md string
	for _, line := range strings.Split(stdout, "\n") {
		if p, ok := strings.CutPrefix(line, "wrote "); ok && strings.HasSuffix(p, ".md") {
			b, _ := os.ReadFile(p)
			md = string(b)
		}
	}
	if !strings.Contains(md, "## Reproducibility across repetitions") || !strings.Contains(md, "| CV % |") {
		t.Errorf("the Markdown report has no reproducibility table")
	}
}

// checkParses opens an output file with the parser of its kind.
func checkParses(t *testing.T, path string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	switch filepath.Ext(path) {
	case ".html":
		s := string(data)
		if !strings.HasPrefix(s, "<!doctype html>") || !strings.HasSuffix(strings.TrimSpace(s), "</html>") || !strings.Contains(s, "<svg") {
			t.Errorf("%s: not a whole HTML page with charts", path)
		}
	case ".md":
		if !bytes.HasPrefix(data, []byte("# ")) || !bytes.Contains(data, []byte("## Success criteria")) {
			t.Errorf("%s: not the Markdown report", path)
		}
	case ".csv":
		rows, err := csv.NewReader(bytes.NewReader(data)).ReadAll()
		if err != nil || len(rows) < 2 {
			t.Errorf("%s: %d rows, err %v", path, len(rows), err)
		}
	case ".json":
		var d report.Document
		if err := json.Unmarshal(data, &d); err != nil || len(d.Criteria) == 0 {
			t.Errorf("%s: err %v, %d criteria", path, err, len(d.Criteria))
		}
	case ".png":
		if _, err := png.Decode(bytes.NewReader(data)); err != nil {
			t.Errorf("%s: %v", path, err)
		}
	case ".svg":
		dec := xml.NewDecoder(bytes.NewReader(data))
		for {
			_, err := dec.Token()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Errorf("%s: %v", path, err)
				break
			}
		}
	default:
		t.Errorf("unexpected output %s", path)
	}
}

func TestReportAndCompareCommands(t *testing.T) {
	srv := enginetest.NewServer(t, enginetest.Options{Model: "m", PromptTokens: 16})
	dir := t.TempDir()
	cfg := writeConfig(t, dir, "")
	for range 2 {
		if code, _, stderr := runCLI(t, "latency", "--config", cfg, "--engine", srv.URL, "--lengths", "16", "--dialect", "vllm"); code != 0 {
			t.Fatalf("latency: exit %d: %s", code, stderr)
		}
	}
	jsons, _ := results(t, dir)
	if len(jsons) != 2 {
		// Two runs in the same second share a name; one is enough to
		// compare with itself.
		jsons = append(jsons, jsons[0])
	}
	in := filepath.Join(dir, "out", "*.json")
	for _, format := range []string{"html", "md", "csv", "json"} {
		out := filepath.Join(dir, "reports", "r."+format)
		code, stdout, stderr := runCLI(t, "report", "--config", cfg, "--input", in, "--output", out)
		if code != 0 {
			t.Fatalf("report %s: exit %d: %s", format, code, stderr)
		}
		checkParses(t, out)
		if !strings.Contains(stdout, "TTFT (P50, shortest prompt)") {
			t.Errorf("report %s: stdout lacks the verdicts:\n%s", format, stdout)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "reports", "charts", "latency_comparison.svg")); err != nil {
		t.Error(err)
	}

	// The fake engine is fast: TTFT passes; tokens/s is judged too. A
	// threshold nobody meets turns --fail-on into exit 3.
	strict := filepath.Join(dir, "strict.yaml")
	body, _ := os.ReadFile(cfg)
	os.WriteFile(strict, append(body, []byte("  success_criteria:\n    ttft_ms: {target: 0.000001, acceptable: 0.000002}\n")...), 0o644)
	code, _, stderr := runCLI(t, "report", "--config", strict, "--input", in, "--output", filepath.Join(dir, "s.md"), "--fail-on", "fail")
	if code != exitCriteria || !strings.Contains(stderr, "worst verdict FAIL") {
		t.Errorf("--fail-on fail with a failing criterion: exit %d, stderr %q; want 3", code, stderr)
	}
	if code, _, _ := runCLI(t, "report", "--config", strict, "--input", in, "--output", filepath.Join(dir, "s.md")); code != 0 {
		t.Errorf("without --fail-on: exit %d, want 0", code)
	}
	if code, _, stderr := runCLI(t, "report", "--input", filepath.Join(dir, "none-*.json")); code != 2 || !strings.Contains(stderr, "no result files match") {
		t.Errorf("no inputs: exit %d, stderr %q; want 2", code, stderr)
	}

	out := filepath.Join(dir, "reports", "cmp.html")
	code, stdout, stderr := runCLI(t, "compare", "--baseline", jsons[0], "--compare", jsons[1], "--output", out)
	if code != 0 {
		t.Fatalf("compare: exit %d: %s", code, stderr)
	}
	checkParses(t, out)
	if !strings.Contains(stdout, "changes compared") {
		t.Errorf("compare stdout: %s", stdout)
	}
	if code, _, stderr := runCLI(t, "compare", "--baseline", jsons[0]); code != 2 || !strings.Contains(stderr, "compare") {
		t.Errorf("compare without --compare: exit %d, stderr %q; want 2", code, stderr)
	}
}

func TestReportCommandsHelp(t *testing.T) {
	for _, cmd := range [][]string{{"report", "--help"}, {"compare", "--help"}, {"run", "--help"}} {
		code, stdout, stderr := runCLI(t, cmd...)
		if code != 0 || !strings.Contains(stdout, "Usage:") || stderr != "" {
			t.Errorf("%v: exit %d, stdout %d bytes, stderr %q", cmd, code, len(stdout), stderr)
		}
	}
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"report", "--fail-on", "sometimes"}, "--fail-on: must be fail or acceptable"},
		{[]string{"report", "--format", "pdf", "--input", "x.json"}, "no result files match"},
		{[]string{"run", "--repeat", "0"}, "--repeat: must be >= 1"},
		{[]string{"run", "--phases", "latency,benchmarks"}, "benchmark.run.phases[1]: must be one of"},
	} {
		code, _, stderr := runCLI(t, tt.args...)
		if code != 2 || !strings.Contains(stderr, tt.want) {
			t.Errorf("%v: exit %d, stderr %q; want 2 and %q", tt.args, code, stderr, tt.want)
		}
	}
}
