package report

import (
	"fmt"
	"math"
	"slices"
	"strings"
)

// summarize writes the executive summary from the results and the
// document's verdicts.
func summarize(results []*Loaded, d *Document) Summary {
	var s Summary
	for _, label := range labels(results) {
		rs := ofLabel(results, label)
		s.Findings = append(s.Findings, latencyFindings(label, rs)...)
		for _, l := range rs {
			if l.Suite == "throughput" {
				f, rec := throughputFindings(l)
				s.Findings = append(s.Findings, f...)
				s.Recommendations = append(s.Recommendations, rec...)
			}
		}
		if v, basis, ok := measureMemory(rs); ok {
			s.Findings = append(s.Findings, fmt.Sprintf("%s: peak memory %.2f GB (%s)", label, v, basis))
		}
		if f := quantizationFinding(label, rs); f != "" {
			s.Findings = append(s.Findings, f)
		}
	}
	counts := map[Status]int{}
	for _, v := range d.Criteria {
		counts[v.Status]++
		switch v.Status {
		case Pass:
			s.Highlights = append(s.Highlights, fmt.Sprintf("%s for %s: %s meets the target %s", v.Criterion, v.Subject, v.Measured, v.Target))
		case Acceptable:
			s.Recommendations = append(s.Recommendations, fmt.Sprintf("%s for %s is %s: acceptable (%s) but short of the target %s", v.Criterion, v.Subject, v.Measured, v.Acceptable, v.Target))
		case Fail:
			s.Recommendations = append(s.Recommendations, fmt.Sprintf("%s for %s is %s and fails the acceptable bound %s: %s", v.Criterion, v.Subject, v.Measured, v.Acceptable, advice(v)))
		}
	}
	measured := len(d.Criteria) - counts[NotMeasured]
	s.Findings = append(s.Findings, fmt.Sprintf("success criteria: %d of %d measured; %d PASS, %d ACCEPTABLE, %d FAIL",
		measured, len(d.Criteria), counts[Pass], counts[Acceptable], counts[Fail]))
	if counts[NotMeasured] > 0 {
		var missing []string
		for _, v := range d.Criteria {
			m := fmt.Sprintf("%s (%s)", v.Criterion, v.Basis)
			if v.Status == NotMeasured && !slices.Contains(missing, m) {
				missing = append(missing, m)
			}
		}
		s.Recommendations = append(s.Recommendations, "to judge every criterion, measure: "+strings.Join(missing, "; "))
	}
	clientBound := 0
	for _, lim := range d.Limitations {
		if strings.Contains(lim, "client-bound") {
			clientBound++
		}
	}
	if clientBound > 0 {
		s.Recommendations = append(s.Recommendations, fmt.Sprintf("the benchmark client limited the load %d times (see Known limitations): give the engine and the load generator their own cores or machines before trusting those throughput figures", clientBound))
	}
	for _, lim := range d.Limitations {
		switch {
		case strings.Contains(lim, "token count"):
			s.Recommendations = append(s.Recommendations, "token counts differed from the request ("+lim+"): check the engine's dialect (ignore_eos/min_tokens) before comparing tokens/s")
		case strings.Contains(lim, "across repetitions"):
			s.Recommendations = append(s.Recommendations, lim+": pin CPU frequency and background load, or raise the runs per scenario")
		}
	}
	return s
}

// advice is what a failed criterion suggests, from its numbers.
func advice(v Verdict) string {
	switch {
	case strings.HasPrefix(v.Criterion, "TTFT"):
		return "prefill dominates; a GPU engine, a quantized or smaller model, or prefix caching shortens it"
	case strings.HasPrefix(v.Criterion, "output tokens"):
		return "decode is bound by memory bandwidth per token; quantized weights (int8/int4) or a GPU raise it"
	case strings.HasPrefix(v.Criterion, "peak memory"):
		return "quantized weights or a smaller KV cache lower it"
	case strings.HasPrefix(v.Criterion, "throughput"):
		return "batch more requests (continuous batching, higher concurrency) or use a faster engine"
	case strings.HasPrefix(v.Criterion, "memory leak"):
		return "memory grows under steady load; profile the engine over a longer stress run"
	}
	return "see the detailed tables"
}

// latencyFindings says how TTFT and decode speed behave with prompt
// length for one label.
func latencyFindings(label string, rs []*Loaded) []string {
	var out []string
	for _, l := range rs {
		if l.Suite != "latency" {
			continue
		}
		var first, last *Scenario
		for i := range l.Scenarios {
			s := &l.Scenarios[i]
			if s.Skipped != "" || s.Summary.TTFT.N == 0 {
				continue
			}
			if first == nil {
				first = s
			}
			last = s
		}
		if first == nil {
			out = append(out, fmt.Sprintf("%s: no latency scenario completed", label))
			continue
		}
		f := fmt.Sprintf("%s: TTFT P50 %s ms at %d prompt tokens", label, num(first.Summary.TTFT.P50, 1), first.InputTokens)
		if last != first && first.Summary.TTFT.P50 > 0 {
			f += fmt.Sprintf(", %s ms at %d (%.1f× for %.1f× the prompt)", num(last.Summary.TTFT.P50, 1), last.InputTokens,
				last.Summary.TTFT.P50/first.Summary.TTFT.P50, float64(last.InputTokens)/float64(first.InputTokens))
		}
		out = append(out, f)
		if first.Summary.OutputTPS.N > 0 {
			g := fmt.Sprintf("%s: %s output tokens/s per request at %d→%d", label, num(first.Summary.OutputTPS.Mean, 1), first.InputTokens, first.OutputTokens)
			if first.Summary.ITL.N > 0 {
				g += fmt.Sprintf(" (ITL P50 %s ms, P99 %s ms)", num(first.Summary.ITL.P50, 1), num(first.Summary.ITL.P99, 1))
			}
			if last != first && last.Summary.OutputTPS.N > 0 {
				g += fmt.Sprintf(", %s at %d→%d", num(last.Summary.OutputTPS.Mean, 1), last.InputTokens, last.OutputTokens)
			}
			out = append(out, g)
		}
	}
	return out
}

// throughputFindings finds the peak, the saturation point and the best
// load within the SLOs of one throughput result.
func throughputFindings(l *Loaded) (findings, recs []string) {
	key := scalingKey(l)
	type point struct {
		x   string
		s   *Scenario
		rps float64
	}
	var pts []point
	for i := range l.Scenarios {
		s := &l.Scenarios[i]
		if s.Skipped != "" || s.Summary.Succeeded == 0 {
			continue
		}
		pts = append(pts, point{scalingLabel(l, i, key), s, s.Summary.RequestThroughput})
	}
	if len(pts) == 0 {
		return nil, nil
	}
	peak := pts[0]
	for _, p := range pts {
		if p.rps > peak.rps {
			peak = p
		}
	}
	findings = append(findings, fmt.Sprintf("%s: peak throughput %s req/s (%s output tok/s) at %s (%s)",
		l.Label(), num(peak.rps, 1), num(peak.s.Summary.OutputThroughput, 1), peak.s.Name, peak.x))
	if an := l.Throughput; an != nil {
		// The suite's own analysis knows its scenarios' roles.
		if an.Saturation != "" {
			findings = append(findings, fmt.Sprintf("%s: %s", l.Label(), an.Saturation))
		}
		if an.SaturationConcurrency > 0 {
			recs = append(recs, fmt.Sprintf("%s: throughput stops growing at concurrency %d: run at or below it; more load adds latency, not throughput", l.Label(), an.SaturationConcurrency))
		}
		if g := an.BatchingGain; g != nil && g.ReferenceRPS > 0 {
			findings = append(findings, fmt.Sprintf("%s: batching gives %.2f× the requests/s of %s at concurrency %d (%s vs %s req/s)",
				l.Label(), g.Gain, g.Reference, g.Concurrency, num(g.BatchedRPS, 1), num(g.ReferenceRPS, 1)))
		}
		if rs := an.RateSweep; rs != nil {
			if rs.BestRatePerS > 0 {
				recs = append(recs, fmt.Sprintf("%s: the highest rate sustained within the SLOs is %s req/s (%s)", l.Label(), num(rs.BestRatePerS, 1), rs.Criterion))
			} else {
				recs = append(recs, fmt.Sprintf("%s: no probed rate was sustained within the SLOs (%s): lower the rate or relax the SLOs", l.Label(), rs.Criterion))
			}
		}
	}
	for i := 0; i+1 < len(pts) && (l.Throughput == nil || l.Throughput.Saturation == ""); i++ {
		if pts[i].rps > 0 && pts[i+1].rps < 1.1*pts[i].rps {
			findings = append(findings, fmt.Sprintf("%s: throughput saturates at %s (%s req/s); %s adds %+.0f%%",
				l.Label(), pts[i].x, num(pts[i].rps, 1), pts[i+1].x, 100*(pts[i+1].rps/pts[i].rps-1)))
			recs = append(recs, fmt.Sprintf("%s: beyond %s more load adds latency, not throughput: cap it there", l.Label(), pts[i].x))
			break
		}
	}
	slo := l.Config != nil && (l.Config.Benchmark.SLO.TTFT > 0 || l.Config.Benchmark.SLO.TPOT > 0 || l.Config.Benchmark.SLO.E2E > 0)
	if slo {
		var best *point
		for i := range pts {
			p := &pts[i]
			if float64(p.s.Summary.GoodRequests) >= 0.9*float64(p.s.Summary.Succeeded) && (best == nil || p.rps > best.rps) {
				best = p
			}
		}
		if best != nil {
			recs = append(recs, fmt.Sprintf("%s: best load within the SLOs is %s: %s req/s with %d of %d requests meeting them",
				l.Label(), best.x, num(best.rps, 1), best.s.Summary.GoodRequests, best.s.Summary.Succeeded))
		} else {
			recs = append(recs, fmt.Sprintf("%s: no throughput scenario kept 90%% of its requests within the SLOs: lower the load or relax the SLOs", l.Label()))
		}
	}
	return findings, recs
}

// scalingKeys are the extra fields that say what a throughput scenario
// varied, in order of preference.
var scalingKeys = []string{"concurrency", "batch_size", "rate", "workers", "load"}

// scalingKey is the extra field a result's scenarios vary along, or "".
func scalingKey(l *Loaded) string {
	for _, want := range scalingKeys {
		for _, ex := range l.Extras {
			for _, k := range ex.Keys() {
				if k == want || strings.HasSuffix(k, "."+want) {
					return k
				}
			}
		}
	}
	return ""
}

// scalingLabel names scenario i by its load ("c=8 batch 4") or else by
// its scaling field ("concurrency 8").
func scalingLabel(l *Loaded, i int, key string) string {
	if ld := l.Scenarios[i].Load; ld != nil {
		return loadText(ld)
	}
	if key != "" {
		if v, ok := l.extra(i)[key]; ok {
			k := key[strings.LastIndex(key, ".")+1:]
			return strings.ReplaceAll(k, "_", " ") + " " + extraText(key, v)
		}
	}
	return l.Scenarios[i].Name
}

// finite reports whether v is a usable number.
func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// quantizationFinding compares the memory of each quantization measured
// with the widest one's (fp32, else fp16).
func quantizationFinding(label string, rs []*Loaded) string {
	mem := map[string]float64{}
	var order []string
	for _, l := range rs {
		for i, s := range l.Scenarios {
			if s.Memory == nil || s.Memory.Quantization == "" || s.Skipped != "" {
				continue
			}
			if v, ok := peakBytes(l, i); ok {
				if _, seen := mem[s.Memory.Quantization]; !seen {
					order = append(order, s.Memory.Quantization)
				}
				mem[s.Memory.Quantization] = v
			}
		}
	}
	base := ""
	for _, q := range []string{"fp32", "fp16"} {
		if _, ok := mem[q]; ok {
			base = q
			break
		}
	}
	if base == "" || len(order) < 2 {
		return ""
	}
	var parts []string
	for _, q := range order {
		if q != base {
			parts = append(parts, fmt.Sprintf("%s %s (%+.0f%%)", q, bytesText(mem[q]), 100*(mem[q]/mem[base]-1)))
		}
	}
	return fmt.Sprintf("%s: quantization trade-off in memory against %s %s: %s; compare their speed in the latency tables before choosing",
		label, base, bytesText(mem[base]), strings.Join(parts, ", "))
}
