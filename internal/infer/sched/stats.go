package sched

import "sync/atomic"

// Stats is a snapshot of a scheduler's state and counters.
type Stats struct {
	Running int
	Waiting int
	// PromptTokens counts prompt tokens prefilled so far.
	PromptTokens int64
	// GenerationTokens counts tokens generated so far.
	GenerationTokens int64
	// Steps counts forward steps.
	Steps           int64
	KVUsedBytes     int64
	KVCapacityBytes int64
	// KVReservedBytes counts the KV cache bytes requests have reserved
	// at admission so far: one request's share is its difference across
	// the request, however briefly it held them.
	KVReservedBytes int64
}

type counters struct {
	running, waiting         atomic.Int64
	prompt, generated, steps atomic.Int64
	kvReserved               atomic.Int64
}

// publish updates the gauges read by Stats; called by the loop.
func (s *Scheduler) publish() {
	s.stats.running.Store(int64(len(s.running)))
}

// Stats returns the scheduler's current numbers. It is safe to call from
// any goroutine.
func (s *Scheduler) Stats() Stats {
	return Stats{
		Running:          int(s.stats.running.Load()),
		Waiting:          int(s.stats.waiting.Load()),
		PromptTokens:     s.stats.prompt.Load(),
		GenerationTokens: s.stats.generated.Load(),
		Steps:            s.stats.steps.Load(),
		KVUsedBytes:      s.pool.UsedBytes(),
		KVCapacityBytes:  s.pool.CapacityBytes(),
		KVReservedBytes:  s.stats.kvReserved.Load(),
	}
}
