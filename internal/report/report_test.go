package report

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"encoding/xml"
	"flag"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/muaibench/muaibench/internal/config"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./internal/report/ -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s differs (-want +got; rewrite with go test ./internal/report/ -update):\n%s", name, diff)
	}
}

func buildFixture(t *testing.T) ([]*Loaded, *Document) {
	t.Helper()
	rs := fixtures(t)
	return rs, Build(rs, BuildOptions{Now: t0})
}

func TestCSVGolden(t *testing.T) {
	rs, _ := buildFixture(t)
	var b bytes.Buffer
	if err := WriteCSV(&b, rs); err != nil {
		t.Fatal(err)
	}
	golden(t, "report.csv", b.Bytes())
	rows, err := csv.NewReader(bytes.NewReader(b.Bytes())).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if got, want := len(rows), 1+3+3+3+1+4; got != want {
		t.Errorf("got %d CSV rows, want %d (a header and one per scenario)", got, want)
	}
}

func TestMarkdownGolden(t *testing.T) {
	_, d := buildFixture(t)
	var b bytes.Buffer
	if err := WriteMarkdown(&b, d, "charts"); err != nil {
		t.Fatal(err)
	}
	golden(t, "report.md", b.Bytes())
	if !strings.Contains(b.String(), `gpt2\|fast`) {
		t.Error("a pipe in a model name was not escaped in the Markdown tables")
	}
}

func TestJSONParses(t *testing.T) {
	_, d := buildFixture(t)
	var b bytes.Buffer
	if err := WriteJSON(&b, d); err != nil {
		t.Fatal(err)
	}
	var back Document
	if err := json.Unmarshal(b.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	if len(back.Criteria) != len(d.Criteria) || len(back.Sections) != 4 {
		t.Errorf("got %d criteria and %d sections back, want %d and 4", len(back.Criteria), len(back.Sections), len(d.Criteria))
	}
}

func TestCriteria(t *testing.T) {
	rs, d := buildFixture(t)
	got := map[string]Status{}
	for _, v := range d.Criteria {
		got[v.Subject+" / "+v.Criterion] = v.Status
	}
	want := map[string]Status{
		// embedded: TTFT ~40 ms at L1, output ~ 64/(0.04+63·0.02) ≈ 49 tok/s.
		"embedded · gpt2 / TTFT (P50, shortest prompt)":           Pass,
		"embedded · gpt2 / output tokens/s per request":           Pass,
		"embedded · gpt2 / peak memory":                           Pass, // 640 MiB peak
		"embedded · gpt2 / throughput with batching":              Fail, // 5.2 req/s
		"embedded · gpt2 / memory leak":                           Pass, // +0.4 MB/h: ACCEPTABLE by the point estimate, but the suite's interval reaches 0
		"vllm · gpt2|fast / TTFT (P50, shortest prompt)":          Pass,
		"vllm · gpt2|fast / throughput with batching":             NotMeasured,
		"vllm over pytorch / engine speedup (request throughput)": NotMeasured,
	}
	for k, w := range want {
		if got[k] != w {
			t.Errorf("%s: got %s, want %s", k, got[k], w)
		}
	}
	if Worst(d.Criteria) != Fail {
		t.Errorf("got worst %s, want FAIL", Worst(d.Criteria))
	}

	// Tighter thresholds turn the TTFT into ACCEPTABLE and FAIL.
	tests := []struct {
		th   config.Threshold
		want Status
	}{
		{config.Threshold{Target: 100, Acceptable: 200}, Pass},
		{config.Threshold{Target: 10, Acceptable: 200}, Acceptable},
		{config.Threshold{Target: 10, Acceptable: 20}, Fail},
	}
	for _, tt := range tests {
		sc := config.Default().Benchmark.SuccessCriteria
		sc.TTFTMs = tt.th
		if v := Evaluate(rs[:1], sc)[0]; v.Status != tt.want {
			t.Errorf("TTFT %s with %+v: got %s, want %s", v.Measured, tt.th, v.Status, tt.want)
		}
	}
}

func TestSpeedupNeedsBothEngines(t *testing.T) {
	rs := fixtures(t)
	sc := config.Default().Benchmark.SuccessCriteria
	sc.Speedup.Engine, sc.Speedup.Baseline = "embedded", "embedded"
	vs := Evaluate(rs, sc)
	last := vs[len(vs)-1]
	if last.Status != Acceptable && last.Status != Fail || last.Value == nil || *last.Value != 1 {
		t.Errorf("got %+v, want a measured speedup of 1×", last)
	}
}

func TestThroughputFindings(t *testing.T) {
	_, d := buildFixture(t)
	text := strings.Join(append(d.Summary.Findings, d.Summary.Recommendations...), "\n")
	for _, want := range []string{
		"peak throughput 5.2 req/s",
		"throughput saturates at c=4 (5 req/s); c=8 adds +4%",
		"TTFT P50 ",
		"quantization trade-off in memory against fp32 640.0 MiB: int8 250.0 MiB (-61%)",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("summary lacks %q:\n%s", want, text)
		}
	}
}

func TestCV(t *testing.T) {
	tests := []struct {
		xs   []float64
		want float64
	}{
		{[]float64{10, 10, 10}, 0},
		{[]float64{9, 10, 11}, 10},
		{[]float64{1}, math.NaN()},
	}
	for _, tt := range tests {
		got := CV(tt.xs)
		if math.IsNaN(tt.want) != math.IsNaN(got) || !math.IsNaN(got) && math.Abs(got-tt.want) > 1e-9 {
			t.Errorf("CV(%v): got %g, want %g", tt.xs, got, tt.want)
		}
	}
}

func TestVariationFlagsRepeats(t *testing.T) {
	dir := t.TempDir()
	for i, ttft := range []float64{40, 40.5, 70} {
		r := latencyFixture(t, dir, "rep"+string(rune('1'+i)), "embedded", "gpt2", ttft, 20, 1)
		r.Run = &RunInfo{ID: "x", Repetition: i + 1, Repeats: 3}
		if err := WriteFile(filepath.Join(dir, "rep"+string(rune('1'+i))+".json"), r); err != nil {
			t.Fatal(err)
		}
	}
	rs, _, err := LoadResults([]string{filepath.Join(dir, "*.json")})
	if err != nil {
		t.Fatal(err)
	}
	v := Build(rs, BuildOptions{Now: t0}).Variation
	if v == nil {
		t.Fatal("no reproducibility table for three repetitions")
	}
	flagged := map[string]bool{}
	for i, row := range v.Rows {
		flagged[row[2]+" "+row[3]] = v.Status[i] == "flag"
	}
	if !flagged["L1 TTFT p50 ms"] || flagged["L1 tok/s per request"] && false {
		t.Errorf("got flags %v, want the TTFT of L1 flagged (40, 40.5, 70 ms)", flagged)
	}
}

func TestChartFiles(t *testing.T) {
	_, d := buildFixture(t)
	dir := t.TempDir()
	paths, err := WriteChartFiles(dir, d)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, p := range paths {
		names = append(names, filepath.Base(p))
		f, err := os.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		if strings.HasSuffix(p, ".png") {
			img, err := png.Decode(f)
			if err != nil || img.Bounds().Dx() < 600 {
				t.Errorf("%s: not a chart-sized PNG: %v", p, err)
			}
		} else {
			dec := xml.NewDecoder(f)
			for {
				if _, err := dec.Token(); err != nil {
					if err.Error() != "EOF" {
						t.Errorf("%s: not valid SVG: %v", p, err)
					}
					break
				}
			}
		}
		f.Close()
	}
	want := []string{"latency_comparison.png", "latency_comparison.svg", "memory_usage.png", "memory_usage.svg",
		"throughput_scaling.png", "throughput_scaling.svg", "stress_timeline.png", "stress_timeline.svg"}
	if diff := cmp.Diff(want, names); diff != "" {
		t.Errorf("chart files (-want +got):\n%s", diff)
	}
}

func TestHTMLEscapesNames(t *testing.T) {
	dir := t.TempDir()
	const evil = `<script>alert(1)</script>`
	latencyFixture(t, dir, "evil", evil, evil, 40, 20, 1)
	rs, _, err := LoadResults([]string{filepath.Join(dir, "*.json")})
	if err != nil {
		t.Fatal(err)
	}
	d := Build(rs, BuildOptions{Now: t0})
	var h, m bytes.Buffer
	if err := WriteHTML(&h, d); err != nil {
		t.Fatal(err)
	}
	if err := WriteMarkdown(&m, d, ""); err != nil {
		t.Fatal(err)
	}
	for name, out := range map[string]string{"HTML": h.String(), "Markdown": m.String()} {
		if strings.Contains(out, "<script") {
			t.Errorf("the %s report contains a raw <script>", name)
		}
		if !strings.Contains(out, "&lt;script&gt;alert(1)&lt;/script&gt;") {
			t.Errorf("the %s report does not show the escaped name", name)
		}
	}
	if !strings.Contains(h.String(), `content="default-src 'none'; style-src 'unsafe-inline'; img-src data:"`) {
		t.Error("the HTML has no Content-Security-Policy forbidding fetches")
	}
}

func TestCompare(t *testing.T) {
	dir := t.TempDir()
	latencyFixture(t, dir, "base", "embedded", "gpt2", 40, 20, 1)
	latencyFixture(t, dir, "same", "embedded", "gpt2", 40, 20, 3)
	latencyFixture(t, dir, "slow", "embedded", "gpt2", 60, 20, 4)
	load := func(n string) *Loaded {
		l, err := LoadResult(filepath.Join(dir, n+".json"))
		if err != nil {
			t.Fatal(err)
		}
		return l
	}
	base := load("base")
	find := func(c *Comparison, scenario, metric string) Change {
		for _, ch := range c.Changes {
			if ch.Scenario == scenario && ch.Metric == metric {
				return ch
			}
		}
		t.Fatalf("no change for %s %s", scenario, metric)
		return Change{}
	}
	slow, err := Compare(base, load("slow"), CompareOptions{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	ch := find(slow, "L1", "TTFT p50 ms")
	if ch.Verdict != "regression" || !ch.HasCI || ch.Low <= 0 || ch.Percent < 30 || ch.Percent > 70 {
		t.Errorf("50%% slower TTFT: got %+v, want a significant regression near +50%%", ch)
	}
	same, err := Compare(base, load("same"), CompareOptions{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	if ch := find(same, "L1", "TPOT mean ms"); ch.Verdict == "regression" {
		t.Errorf("same distribution: got %+v, want no regression", ch)
	}
	again, _ := Compare(base, load("slow"), CompareOptions{Seed: 1})
	if diff := cmp.Diff(slow.Changes, again.Changes); diff != "" {
		t.Errorf("the same seed gave other intervals:\n%s", diff)
	}
	var h bytes.Buffer
	if err := WriteCompareHTML(&h, slow); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(h.String(), `class="regression"`) {
		t.Error("regressions are not marked in the comparison HTML")
	}
}

func TestUnknownSuiteRendersGenerically(t *testing.T) {
	dir := t.TempDir()
	raw := `{"schema":"` + Schema + `","suite":"optimize","engine":{"name":"e","model":"m"},"definitions":{"prefix_hit":"share of prompt tokens served from the prefix cache"},
"scenarios":[{"name":"O1","input_tokens":8,"output_tokens":4,"runs":2,"feature":"prefix caching","speedup":1.7,"summary":{"requests":2,"succeeded":2,"requests_per_s":3.5}}]}`
	if err := os.WriteFile(filepath.Join(dir, "opt.json"), []byte(raw), 0o644); err != nil {
		t.Fatal(err)
	}
	rs, _, err := LoadResults([]string{filepath.Join(dir, "*.json")})
	if err != nil {
		t.Fatal(err)
	}
	d := Build(rs, BuildOptions{Now: t0})
	if len(d.Sections) != 1 {
		t.Fatalf("got %d sections, want 1", len(d.Sections))
	}
	tab := d.Sections[0].Tables[0]
	row := strings.Join(tab.Rows[0], "|")
	if !strings.Contains(strings.Join(tab.Columns, "|"), "feature|speedup") || !strings.Contains(row, "prefix caching|1.7") || !strings.Contains(row, "3.5") {
		t.Errorf("got columns %v row %v, want the scenario's own fields and its req/s", tab.Columns, tab.Rows[0])
	}
	found := false
	for _, def := range d.Definitions {
		found = found || def.Name == "prefix_hit"
	}
	if !found {
		t.Error("the result's own definitions are not in the report")
	}
	var h bytes.Buffer
	if err := WriteHTML(&h, d); err != nil || !strings.Contains(h.String(), "prefix caching") {
		t.Errorf("the HTML lacks the unknown suite (err %v)", err)
	}
}

func TestLoadResultsLeavesOutOtherJSON(t *testing.T) {
	dir := t.TempDir()
	latencyFixture(t, dir, "ok", "embedded", "gpt2", 40, 20, 1)
	os.WriteFile(filepath.Join(dir, "report.json"), []byte(`{"title":"a report, not a result"}`), 0o644)
	rs, notes, err := LoadResults([]string{filepath.Join(dir, "*.json")})
	if err != nil || len(rs) != 1 || len(notes) != 1 || !strings.Contains(notes[0], "report.json left out") {
		t.Errorf("got %d results, notes %v, err %v; want 1 result and report.json left out", len(rs), notes, err)
	}
	if _, _, err := LoadResults([]string{filepath.Join(dir, "none*.json")}); err == nil {
		t.Error("no match gave no error")
	}
}

func TestWorst(t *testing.T) {
	tests := []struct {
		in   []Status
		want Status
	}{
		{nil, NotMeasured},
		{[]Status{NotMeasured, Pass}, Pass},
		{[]Status{Pass, Acceptable, NotMeasured}, Acceptable},
		{[]Status{Acceptable, Fail, Pass}, Fail},
	}
	for _, tt := range tests {
		var vs []Verdict
		for _, s := range tt.in {
			vs = append(vs, Verdict{Status: s})
		}
		if got := Worst(vs); got != tt.want {
			t.Errorf("Worst(%v): got %s, want %s", tt.in, got, tt.want)
		}
	}
}

// An interval too wide to judge is no verdict, not the point estimate's:
// a quick run's leak slope would otherwise FAIL on warm-up noise.
func TestInconclusiveLeakIsNotMeasured(t *testing.T) {
	rs := fixtures(t)
	found := false
	for _, l := range rs {
		for _, s := range l.Scenarios {
			if s.Memory != nil && s.Memory.Drift != nil {
				s.Memory.Drift.SlopeMBPerHour = 115
				s.Memory.Drift.Verdict, s.Memory.Drift.Reason = "inconclusive", "the interval straddles 10 MB/hour"
				found = true
			}
		}
	}
	if !found {
		t.Fatal("the fixtures have no leak measurement")
	}
	checked := 0
	for _, v := range Evaluate(rs, config.Default().Benchmark.SuccessCriteria) {
		if v.Criterion == "memory leak" && v.Value != nil {
			checked++
			if v.Status != NotMeasured || !strings.Contains(v.Basis, "inconclusive: the interval straddles") {
				t.Errorf("got %s (%s), want NOT MEASURED as inconclusive", v.Status, v.Basis)
			}
		}
	}
	if checked == 0 {
		t.Error("no measured memory-leak verdict to check")
	}
}
