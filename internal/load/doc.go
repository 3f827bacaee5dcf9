// Package load generates benchmark load against an engine client and
// streams one record per request.
//
// The rate is separate from the workers. Open-loop pacing is a Pacer
// (vegeta's Pace(elapsed, hits) (wait, stop)): constant, Poisson or
// gamma-distributed arrivals over a rate Shape (flat, ramp, steps, spike,
// sine), each profile just another pacer. Closed-loop concurrency (N
// workers, each sending its next request when the last one ends) is its
// own mode. Every request's clock starts at its scheduled send time; the
// dispatch lag (actual send − scheduled) is in its record, so an
// overloaded client or a full in-flight cap shows instead of hiding
// queueing (coordinated omission).
//
// Run feeds every finished record to sinks from one goroutine (an
// aggregator, a JSONL writer, a window series), ticks them once a second
// with a Snapshot, and reports what the generator itself cost: CPU,
// in-flight peak, waits for the in-flight cap, and whether a watchdog
// found the engine stalled.
package load
