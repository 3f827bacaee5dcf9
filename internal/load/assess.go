package load

import (
	"fmt"
	"time"
)

// DefaultLagLimit is the dispatch-lag P99 above which the generator is
// said to have fallen behind its schedule.
const DefaultLagLimit = 10 * time.Millisecond

// busyShare is the share of the cores above which the client may have
// been CPU-bound.
const busyShare = 0.9

// Assess says whether the generator itself may have limited the run, and
// why, from its report and the run's dispatch-lag P99 in milliseconds.
// bottleneck is true when the client fell behind its schedule or used
// nearly every core; a full in-flight cap is reported too, but it means
// the engine did not keep up, not the client.
func (r Report) Assess(lagP99Ms float64, limit time.Duration) (bottleneck bool, warnings []string) {
	if limit <= 0 {
		limit = DefaultLagLimit
	}
	cpu := r.CPUPercent()
	if r.Cores > 0 && cpu >= busyShare*100*float64(r.Cores) {
		bottleneck = true
		warnings = append(warnings, fmt.Sprintf("the client used %.0f%% CPU of its %d cores: it may itself have limited the run", cpu, r.Cores))
	}
	limitMs := float64(limit) / float64(time.Millisecond)
	switch {
	case r.CapWaits > 0:
		warnings = append(warnings, fmt.Sprintf("%d requests waited for the in-flight cap of %d (dispatch lag P99 %.1f ms): the engine did not keep up with the offered rate; their latency counts from when they were due",
			r.CapWaits, r.MaxInFlight, lagP99Ms))
	case lagP99Ms > limitMs:
		bottleneck = true
		why := "the client itself was busy"
		if r.Cores > 0 && cpu < 50*float64(r.Cores) {
			why = "the client was not busy, so it was starved of CPU: does the engine share its cores?"
		}
		warnings = append(warnings, fmt.Sprintf("dispatch lag P99 %.1f ms exceeds %s: the load generator could not send on schedule (client CPU %.0f%% of %d cores; %s)",
			lagP99Ms, limit, cpu, r.Cores, why))
	}
	if r.Stalled {
		warnings = append(warnings, "watchdog: "+r.StallDetail)
	}
	if r.Cut > 0 {
		warnings = append(warnings, fmt.Sprintf("%d requests were still running when the drain ended and count as timeouts", r.Cut))
	}
	return bottleneck, warnings
}
