package report

import (
	"fmt"
	"math"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"time"

	"github.com/muaibench/muaibench/internal/metrics"
)

// CompareOptions configures Compare.
type CompareOptions struct {
	// Resamples is the number of bootstrap resamples; 0 means 2000.
	Resamples int
	// Confidence is the interval's level; 0 means 0.95.
	Confidence float64
	// Seed seeds the bootstrap, so the same files give the same intervals.
	Seed uint64
	// Now stamps the comparison; zero means time.Now.
	Now time.Time
}

// Comparison is a candidate result set against a baseline, per scenario
// and metric.
type Comparison struct {
	Title     string    `json:"title"`
	Generated time.Time `json:"generated"`
	Baseline  string    `json:"baseline"`
	Candidate string    `json:"candidate"`
	// Method says how intervals were computed.
	Method  string   `json:"method"`
	Changes []Change `json:"changes"`
	Notes   []string `json:"notes,omitempty"`
}

// Change is one metric of one scenario, baseline against candidate.
type Change struct {
	Scenario  string  `json:"scenario"`
	Metric    string  `json:"metric"`
	Baseline  float64 `json:"baseline"`
	Candidate float64 `json:"candidate"`
	// Percent is the relative change, (candidate − baseline) / baseline.
	Percent float64 `json:"change_percent"`
	// Low and High bound Percent's confidence interval, when HasCI.
	Low   float64 `json:"ci_low_percent,omitempty"`
	High  float64 `json:"ci_high_percent,omitempty"`
	HasCI bool    `json:"has_ci"`
	// Significant is true when the interval excludes zero.
	Significant bool `json:"significant"`
	// Verdict is regression, improvement, or no significant change.
	Verdict string `json:"verdict"`
	Basis   string `json:"basis"`
	// FewSamples is true when a side had fewer than 10 requests: the
	// interval is then coarse.
	FewSamples bool `json:"few_samples,omitempty"`
}

// compareMetric is a metric compared per request.
type compareMetric struct {
	name  string
	lower bool // lower is better
	// sample is a record's value; ok is false when the record has none.
	sample func(r *metrics.Record) (float64, bool)
	// stat is the statistic over samples.
	stat     func(xs []float64) float64
	statName string
	// summary is the figure from the summary when records are missing.
	summary func(s *metrics.Summary) (float64, bool)
}

var compareMetrics = []compareMetric{
	{"TTFT p50 ms", true, func(r *metrics.Record) (float64, bool) { return r.TTFTMs, r.Chunks > 0 }, median, "median",
		func(s *metrics.Summary) (float64, bool) { return s.TTFT.P50, s.TTFT.N > 0 }},
	{"TPOT mean ms", true, func(r *metrics.Record) (float64, bool) { return r.TPOTMs, r.OutputTokens > 1 && r.Chunks > 0 }, mean, "mean",
		func(s *metrics.Summary) (float64, bool) { return s.TPOT.Mean, s.TPOT.N > 0 }},
	{"E2E p50 ms", true, func(r *metrics.Record) (float64, bool) { return r.E2EMs, true }, median, "median",
		func(s *metrics.Summary) (float64, bool) { return s.E2E.P50, s.E2E.N > 0 }},
	{"tok/s per request", false, func(r *metrics.Record) (float64, bool) { return r.OutputTPS, true }, mean, "mean",
		func(s *metrics.Summary) (float64, bool) { return s.OutputTPS.Mean, s.OutputTPS.N > 0 }},
	{"req/s", false, nil, nil, "",
		func(s *metrics.Summary) (float64, bool) { return s.RequestThroughput, s.Succeeded > 0 }},
}

// Compare sets candidate against baseline: for each scenario both have
// and each key metric, the relative change with a bootstrap confidence
// interval over the per-request records (read from each result's
// RecordsFile), and whether it is significant. A regression is a
// significant change for the worse. Window figures (req/s) and results
// without records get the change alone.
func Compare(baseline, candidate *Loaded, o CompareOptions) (*Comparison, error) {
	if o.Resamples <= 0 {
		o.Resamples = 2000
	}
	if o.Confidence <= 0 || o.Confidence >= 1 {
		o.Confidence = 0.95
	}
	if o.Now.IsZero() {
		o.Now = time.Now()
	}
	c := &Comparison{
		Title:     fmt.Sprintf("%s vs %s", candidate.Label(), baseline.Label()),
		Generated: o.Now.UTC(),
		Baseline:  fmt.Sprintf("%s (%s)", baseline.Label(), filepath.Base(baseline.Path)),
		Candidate: fmt.Sprintf("%s (%s)", candidate.Label(), filepath.Base(candidate.Path)),
		Method: fmt.Sprintf("percentile bootstrap, %d resamples of each side's successful measured requests, %.0f%% interval of the relative change of the statistic, seed %d; significant when the interval excludes 0",
			o.Resamples, 100*o.Confidence, o.Seed),
	}
	recsA, errA := baseline.Records()
	recsB, errB := candidate.Records()
	for _, e := range []error{errA, errB} {
		if e != nil {
			c.Notes = append(c.Notes, fmt.Sprintf("no intervals: %v", e))
		}
	}
	rng := rand.New(rand.NewPCG(o.Seed, o.Seed^0x9e3779b97f4a7c15))
	for i := range baseline.Scenarios {
		sa := &baseline.Scenarios[i]
		j := slices.IndexFunc(candidate.Scenarios, func(s Scenario) bool { return s.Name == sa.Name })
		if j < 0 {
			c.Notes = append(c.Notes, fmt.Sprintf("%s is only in the baseline", sa.Name))
			continue
		}
		sb := &candidate.Scenarios[j]
		if sa.Skipped != "" || sb.Skipped != "" {
			side := "one side"
			if sa.Skipped != "" && sb.Skipped != "" {
				side = "both sides"
			}
			c.Notes = append(c.Notes, fmt.Sprintf("%s was skipped on %s", sa.Name, side))
			continue
		}
		for _, m := range compareMetrics {
			if ch, ok := compareOne(m, sa, sb, recsA, recsB, errA == nil && errB == nil, o, rng); ok {
				c.Changes = append(c.Changes, ch)
			}
		}
	}
	for _, s := range candidate.Scenarios {
		if !slices.ContainsFunc(baseline.Scenarios, func(b Scenario) bool { return b.Name == s.Name }) {
			c.Notes = append(c.Notes, fmt.Sprintf("%s is only in the candidate", s.Name))
		}
	}
	for _, ch := range c.Changes {
		if ch.HasCI && ch.FewSamples {
			c.Notes = append(c.Notes, fmt.Sprintf("fewer than %d requests on a side in some scenarios: their intervals are coarse (a bootstrap of a median of few values); measure more runs before trusting a verdict", fewSamples))
			break
		}
	}
	if len(c.Changes) == 0 {
		return nil, fmt.Errorf("report: %s and %s have no measured scenario in common", filepath.Base(baseline.Path), filepath.Base(candidate.Path))
	}
	return c, nil
}

func compareOne(m compareMetric, sa, sb *Scenario, recsA, recsB []metrics.Record, haveRecs bool, o CompareOptions, rng *rand.Rand) (Change, bool) {
	ch := Change{Scenario: sa.Name, Metric: m.name, Verdict: "no significant change"}
	if m.sample != nil && haveRecs {
		xa, xb := samples(recsA, sa.Name, m.sample), samples(recsB, sb.Name, m.sample)
		if len(xa) >= 2 && len(xb) >= 2 {
			ch.Baseline, ch.Candidate = m.stat(xa), m.stat(xb)
			if ch.Baseline != 0 {
				ch.Percent = 100 * (ch.Candidate/ch.Baseline - 1)
				ch.Low, ch.High = bootstrap(xa, xb, m.stat, o.Resamples, o.Confidence, rng)
				ch.HasCI = true
				ch.Significant = ch.Low > 0 || ch.High < 0
				ch.Basis = fmt.Sprintf("%s of %d vs %d requests", m.statName, len(xa), len(xb))
				ch.FewSamples = min(len(xa), len(xb)) < fewSamples
				ch.Verdict = judge(ch, m.lower)
				return ch, true
			}
		}
	}
	va, okA := m.summary(&sa.Summary)
	vb, okB := m.summary(&sb.Summary)
	if !okA || !okB {
		return ch, false
	}
	ch.Baseline, ch.Candidate = va, vb
	if va != 0 {
		ch.Percent = 100 * (vb/va - 1)
	}
	ch.Basis = "one figure per run: no interval"
	if m.sample != nil {
		ch.Basis = "summary figures (records unavailable): no interval"
	}
	ch.Verdict = "not tested"
	return ch, true
}

func judge(ch Change, lower bool) string {
	if !ch.Significant {
		return "no significant change"
	}
	if (ch.Percent > 0) == lower {
		return "regression"
	}
	return "improvement"
}

// samples are the values of a scenario's successful measured requests.
func samples(recs []metrics.Record, scenario string, get func(r *metrics.Record) (float64, bool)) []float64 {
	var xs []float64
	for i := range recs {
		r := &recs[i]
		if r.Scenario != scenario || r.Warmup || !r.OK() {
			continue
		}
		if v, ok := get(r); ok && finite(v) {
			xs = append(xs, v)
		}
	}
	return xs
}

// bootstrap returns the percentile interval of the relative change (in
// percent) of stat from a to b, resampling each side with replacement.
func bootstrap(a, b []float64, stat func([]float64) float64, n int, conf float64, rng *rand.Rand) (lo, hi float64) {
	ra, rb := make([]float64, len(a)), make([]float64, len(b))
	diffs := make([]float64, 0, n)
	for range n {
		for i := range ra {
			ra[i] = a[rng.IntN(len(a))]
		}
		for i := range rb {
			rb[i] = b[rng.IntN(len(b))]
		}
		sa := stat(ra)
		if sa == 0 {
			continue
		}
		diffs = append(diffs, 100*(stat(rb)/sa-1))
	}
	if len(diffs) == 0 {
		return math.NaN(), math.NaN()
	}
	slices.Sort(diffs)
	alpha := (1 - conf) / 2
	return metrics.Percentile(diffs, 100*alpha), metrics.Percentile(diffs, 100*(1-alpha))
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	return metrics.Percentile(s, 50)
}

func mean(xs []float64) float64 {
	var sum float64
	for _, x := range xs {
		sum += x
	}
	return sum / float64(len(xs))
}

// Regressions counts the significant changes for the worse.
func (c *Comparison) Regressions() int {
	n := 0
	for _, ch := range c.Changes {
		if ch.Verdict == "regression" {
			n++
		}
	}
	return n
}

// Table renders the changes as a table with a status per row.
func (c *Comparison) Table() Table {
	t := Table{
		Title:   "Per-metric change, candidate against baseline",
		Columns: []string{"scenario", "metric", "baseline", "candidate", "change", "interval", "significant", "verdict", "basis"},
		Note:    c.Method,
	}
	for _, ch := range c.Changes {
		ci, sig := "-", "-"
		if ch.HasCI {
			ci = fmt.Sprintf("[%+.1f%%, %+.1f%%]", ch.Low, ch.High)
			sig = "no"
			if ch.Significant {
				sig = "yes"
			}
		}
		t.Rows = append(t.Rows, []string{ch.Scenario, ch.Metric, num(ch.Baseline, 1), num(ch.Candidate, 1),
			fmt.Sprintf("%+.1f%%", ch.Percent), ci, sig, ch.Verdict, ch.Basis})
		status := ""
		switch ch.Verdict {
		case "regression":
			status = "regression"
		case "improvement":
			status = "improvement"
		}
		t.Status = append(t.Status, status)
	}
	return t
}
