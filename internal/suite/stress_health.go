package suite

import (
	"fmt"
	"math"
	"slices"

	"github.com/muaibench/muaibench/internal/load"
	"github.com/muaibench/muaibench/internal/report"
)

// Health limits.
const (
	// degradationLimit is the most P95 latency may grow over a run at
	// constant load, as a share of its mean.
	degradationLimit = 0.10
	// errorRateLimit is the most requests that may fail.
	errorRateLimit = 0.01
	// recoveryBand: the windowed P95 has recovered when it is back within
	// this share above its level before the burst.
	recoveryBand = 0.10
)

// healthInput is what the health checks look at.
type healthInput struct {
	windows []report.Window
	rep     load.Report
	errors  int
	reqs    int
	// crashed says why the engine is known to have died; empty if not.
	crashed string
	// constantLoad says whether latency should be flat over the run
	// (S1, S2, S5); the burst is S3's, in seconds since the start (both
	// 0 for the others).
	constantLoad           bool
	burstStartS, burstEndS float64
}

// health judges a stress scenario: crash, hang, latency degradation,
// error rate and, after a burst, recovery time.
func health(in healthInput) []report.HealthCheck {
	var out []report.HealthCheck
	crash := report.HealthCheck{Check: "crash", Status: "pass", Detail: "the engine answered to the end"}
	if in.crashed == "" {
		if last, ok := lastBusy(in.windows); ok && last.ConnectionErrors == last.Requests {
			in.crashed = fmt.Sprintf("every request of the last window (%d) failed to reach the engine", last.Requests)
		}
	}
	if in.crashed != "" {
		crash.Status, crash.Detail, crash.Value = "fail", in.crashed, 1
	}
	out = append(out, crash)

	hang := report.HealthCheck{Check: "hang", Status: "pass", Detail: "the watchdog saw requests complete throughout"}
	if in.rep.Stalled {
		hang.Status, hang.Detail, hang.Value = "fail", "watchdog: "+in.rep.StallDetail, 1
	}
	out = append(out, hang)

	out = append(out, degradation(in.windows, in.constantLoad))

	er := report.HealthCheck{Check: "error_rate", Limit: errorRateLimit, Unit: "share of requests"}
	if in.reqs > 0 {
		er.Value = float64(in.errors) / float64(in.reqs)
	}
	er.Status = "pass"
	if er.Value > errorRateLimit {
		er.Status = "fail"
	}
	er.Detail = fmt.Sprintf("%d of %d requests failed", in.errors, in.reqs)
	out = append(out, er)

	if in.burstEndS > 0 {
		out = append(out, recovery(in.windows, in.burstStartS, in.burstEndS))
	}
	return out
}

// lastBusy returns the last window that saw requests.
func lastBusy(ws []report.Window) (report.Window, bool) {
	for i := len(ws) - 1; i >= 0; i-- {
		if ws[i].Requests > 0 {
			return ws[i], true
		}
	}
	return report.Window{}, false
}

// measured returns the windows after warm-up that saw successful
// requests.
func measured(ws []report.Window) []report.Window {
	var out []report.Window
	for _, w := range ws {
		if w.Phase != "warmup" && w.Requests > w.Errors {
			out = append(out, w)
		}
	}
	return out
}

// degradation fits a least-squares line to the windowed P95 latency over
// time and reports its growth over the run as a share of the mean.
func degradation(ws []report.Window, constantLoad bool) report.HealthCheck {
	h := report.HealthCheck{Check: "latency_degradation", Limit: degradationLimit, Unit: "share of mean P95 over the run"}
	m := measured(ws)
	if len(m) < 3 {
		h.Status, h.Detail = "n/a", fmt.Sprintf("%d measured windows; at least 3 are needed for a trend", len(m))
		return h
	}
	xs, ys := make([]float64, len(m)), make([]float64, len(m))
	for i, w := range m {
		xs[i], ys[i] = (w.StartS+w.EndS)/2, w.E2EP95Ms
	}
	slope, mean := leastSquares(xs, ys)
	span := xs[len(xs)-1] - xs[0]
	if mean > 0 {
		h.Value = slope * span / mean
	}
	h.Detail = fmt.Sprintf("P95 latency slope %+.3f ms/s (%+.0f ms/h) over %d windows, mean P95 %.1f ms", slope, slope*3600, len(m), mean)
	switch {
	case !constantLoad:
		h.Status = "n/a"
		h.Detail += "; the load varies by design, so the trend is not judged"
	case h.Value > degradationLimit:
		h.Status = "fail"
	default:
		h.Status = "pass"
	}
	return h
}

// leastSquares returns the slope of the least-squares line through
// (xs, ys) and the mean of ys.
func leastSquares(xs, ys []float64) (slope, meanY float64) {
	n := float64(len(xs))
	var mx, my float64
	for i := range xs {
		mx += xs[i]
		my += ys[i]
	}
	mx, my = mx/n, my/n
	var sxy, sxx float64
	for i := range xs {
		sxy += (xs[i] - mx) * (ys[i] - my)
		sxx += (xs[i] - mx) * (xs[i] - mx)
	}
	if sxx == 0 {
		return 0, my
	}
	return sxy / sxx, my
}

// recovery finds how long after the burst ended the windowed P95 came
// back within recoveryBand of its level before the burst (the median of
// the measured windows that ended before the burst began).
func recovery(ws []report.Window, burstStartS, burstEndS float64) report.HealthCheck {
	h := report.HealthCheck{Check: "recovery", Unit: "s"}
	var before []float64
	for _, w := range measured(ws) {
		if w.EndS <= burstStartS {
			before = append(before, w.E2EP95Ms)
		}
	}
	if len(before) == 0 {
		h.Status, h.Detail = "n/a", "no measured window before the burst to compare with"
		return h
	}
	slices.Sort(before)
	ref := before[len(before)/2]
	if len(before)%2 == 0 {
		ref = (before[len(before)/2-1] + before[len(before)/2]) / 2
	}
	h.Limit = ref * (1 + recoveryBand)
	for _, w := range measured(ws) {
		if w.StartS < burstEndS {
			continue
		}
		if w.E2EP95Ms <= h.Limit {
			h.Value = math.Max(0, w.EndS-burstEndS)
			h.Status = "pass"
			h.Detail = fmt.Sprintf("windowed P95 back to %.1f ms (before the burst %.1f ms, band +%.0f%%) in the window ending %.0f s after the burst",
				w.E2EP95Ms, ref, 100*recoveryBand, h.Value)
			return h
		}
	}
	h.Status, h.Value = "fail", -1
	end := 0.0
	if len(ws) > 0 {
		end = ws[len(ws)-1].EndS
	}
	h.Detail = fmt.Sprintf("windowed P95 did not come back within %.1f ms (before the burst %.1f ms) in the %.0f s after the burst",
		h.Limit, ref, math.Max(0, end-burstEndS))
	return h
}
