// Package metrics turns per-request records into the plan's latency and
// throughput figures: exact percentiles, means and spreads, computed in
// one pass over samples collected in memory.
package metrics

import (
	"math"
	"slices"
)

// Stats summarises one metric's samples. Values are in the metric's unit
// (milliseconds for times, tokens/s for rates).
type Stats struct {
	N      int     `json:"n"`
	Mean   float64 `json:"mean"`
	Stddev float64 `json:"stddev"`
	Min    float64 `json:"min"`
	Max    float64 `json:"max"`
	P50    float64 `json:"p50"`
	P90    float64 `json:"p90"`
	P95    float64 `json:"p95"`
	P99    float64 `json:"p99"`
}

// Summarize computes Stats over samples, exactly: percentiles interpolate
// linearly between the closest ranks (numpy's default, as vLLM's bench
// reports them); Stddev is the sample standard deviation (n−1). It sorts a
// copy; samples is left as it was.
func Summarize(samples []float64) Stats {
	n := len(samples)
	if n == 0 {
		return Stats{}
	}
	s := slices.Clone(samples)
	slices.Sort(s)
	var sum float64
	for _, v := range s {
		sum += v
	}
	mean := sum / float64(n)
	var sq float64
	for _, v := range s {
		sq += (v - mean) * (v - mean)
	}
	sd := 0.0
	if n > 1 {
		sd = math.Sqrt(sq / float64(n-1))
	}
	return Stats{
		N: n, Mean: mean, Stddev: sd, Min: s[0], Max: s[n-1],
		P50: Percentile(s, 50), P90: Percentile(s, 90),
		P95: Percentile(s, 95), P99: Percentile(s, 99),
	}
}

// Percentile returns the p-th percentile (0..100) of sorted samples,
// interpolating linearly between the closest ranks.
func Percentile(sorted []float64, p float64) float64 {
	n := len(sorted)
	if n == 0 {
		return math.NaN()
	}
	rank := p / 100 * float64(n-1)
	lo := int(math.Floor(rank))
	hi := int(math.Ceil(rank))
	if hi >= n {
		hi = n - 1
	}
	frac := rank - float64(lo)
	return sorted[lo] + (sorted[hi]-sorted[lo])*frac
}
