package report

import (
	"slices"
	"strings"
)

// latestDrift is the last memory drift measured in rs.
func latestDrift(rs []*Loaded) *DriftFigures {
	for _, l := range slices.Backward(rs) {
		for _, s := range l.Scenarios {
			if s.Memory != nil && s.Memory.Drift != nil {
				return s.Memory.Drift
			}
		}
	}
	return nil
}

// peakBytes is a scenario's peak memory: the GPU's when the engine held
// GPU memory, else the peak (or resident) RSS of the engine's processes;
// from the memory suite's figures or, for other suites, a peak field
// among the extras.
func peakBytes(l *Loaded, i int) (float64, bool) {
	if m := l.Scenarios[i].Memory; m != nil {
		if g := max(m.GPUPeakBytes, m.GPUMemoryBytes); g > 0 {
			return float64(g), true
		}
		if v := max(m.PeakRSSBytes, m.RSSBytes); v > 0 {
			return float64(v), true
		}
		return 0, false
	}
	return peakOf(l.extra(i))
}

// peakOf picks the peak-memory field of flattened extras: a key naming a
// peak (peak, max, hwm) in bytes or MB.
func peakOf(ex Extras) (float64, bool) {
	for _, k := range ex.Keys() {
		lk := strings.ToLower(k)
		if !strings.Contains(lk, "peak") && !strings.Contains(lk, "hwm") && !strings.Contains(lk, "max_rss") {
			continue
		}
		v, ok := ex.Number(k)
		if !ok {
			continue
		}
		switch {
		case strings.HasSuffix(lk, "bytes"):
			return v, true
		case strings.HasSuffix(lk, "_mb"), strings.HasSuffix(lk, "_mib"):
			return v * (1 << 20), true
		}
	}
	return 0, false
}

// leakOf picks a memory growth rate from flattened extras, in MB/hour.
func leakOf(ex Extras) (float64, string, bool) {
	for _, k := range ex.Keys() {
		lk := strings.ToLower(k)
		if !strings.Contains(lk, "leak") && !strings.Contains(lk, "growth") && !strings.Contains(lk, "slope") {
			continue
		}
		v, ok := ex.Number(k)
		if !ok {
			continue
		}
		switch {
		case strings.HasSuffix(lk, "mb_per_hour"), strings.HasSuffix(lk, "mb_per_h"):
			return v, k, true
		case strings.HasSuffix(lk, "bytes_per_hour"), strings.HasSuffix(lk, "bytes_per_h"):
			return v / 1e6, k, true
		case strings.HasSuffix(lk, "bytes_per_s"), strings.HasSuffix(lk, "bytes_per_second"):
			return v * 3600 / 1e6, k, true
		}
	}
	return 0, "", false
}
