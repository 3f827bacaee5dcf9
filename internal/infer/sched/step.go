package sched

import (
	"context"
	"math"
	"time"

	"github.com/muaibench/muaibench/internal/infer"
)

// seq is one request's state inside the scheduler.
type seq struct {
	ctx       context.Context
	req       Request
	cache     *infer.SeqCache
	hist      []int // prompt, then every generated token
	generated int
	sampler   *sampler
	text      *textState
	events    chan Event
	stopWatch func() bool
	n         int // tokens planned for the current step
}

func (s *Scheduler) newSeq(ctx context.Context, req Request, id uint64) *seq {
	seed := uint64(s.opts.Seed)*0x100000001b3 + id + 1
	if req.Sampling.Seed != nil {
		seed = uint64(*req.Sampling.Seed)
	}
	hist := make([]int, len(req.Prompt), len(req.Prompt)+req.MaxTokens)
	copy(hist, req.Prompt)
	return &seq{
		ctx:     ctx,
		req:     req,
		cache:   s.pool.NewSeq(),
		hist:    hist,
		sampler: newSampler(req.Sampling, seed),
		text:    newTextState(s.opts.TokenBytes, req.Stop),
		events:  make(chan Event, req.MaxTokens+1),
	}
}

// end sends a request's last event, frees its blocks and closes its
// channel. The channel has room for every event a request can produce,
// so the send never blocks.
func (s *Scheduler) end(sq *seq, ev Event) {
	if sq.stopWatch != nil {
		sq.stopWatch()
	}
	sq.cache.Release()
	sq.events <- ev
	close(sq.events)
}

// step runs one forward step. It reports false when there was nothing to
// run.
func (s *Scheduler) step() bool {
	// Drop running requests whose client went away.
	kept := s.running[:0]
	for _, sq := range s.running {
		if err := sq.ctx.Err(); err != nil {
			s.end(sq, Event{Token: -1, Err: err})
			continue
		}
		kept = append(kept, sq)
	}
	clear(s.running[len(kept):])
	s.running = kept

	budget := s.plan()
	s.admit(budget)
	s.publish()
	if len(s.running) == 0 {
		return false
	}

	batch := make([]infer.Seq, 0, len(s.running))
	for len(s.logits) < len(s.running) {
		s.logits = append(s.logits, make([]float32, s.info.Shape.Vocab))
	}
	tokens := 0
	for i, sq := range s.running {
		if sq.n == 0 {
			continue
		}
		fed := sq.cache.Len
		b := infer.Seq{Cache: sq.cache, Tokens: sq.hist[fed : fed+sq.n]}
		if fed+sq.n == len(sq.hist) {
			b.Logits = s.logits[i]
		}
		batch = append(batch, b)
		tokens += sq.n
	}
	start := time.Now()
	err := s.model.Forward(batch)
	took := time.Since(start)
	if err != nil {
		// A failed step fails its whole batch: the caches are in an
		// unknown state.
		for _, sq := range s.running {
			s.end(sq, Event{Token: -1, Err: err})
		}
		s.running = s.running[:0]
		s.publish()
		return true
	}

	kept = s.running[:0]
	for i, sq := range s.running {
		prefill := min(sq.n, max(0, len(sq.req.Prompt)-(sq.cache.Len-sq.n)))
		s.stats.prompt.Add(int64(prefill))
		if sq.n == 0 || sq.cache.Len != len(sq.hist) {
			kept = append(kept, sq) // still prefilling
			continue
		}
		ev, done := s.sampleNext(sq, s.logits[i])
		if done {
			s.end(sq, ev)
			continue
		}
		sq.events <- ev
		kept = append(kept, sq)
	}
	clear(s.running[len(kept):])
	s.running = kept
	s.stats.steps.Add(1)
	s.publish()
	if s.opts.OnStep != nil {
		s.opts.OnStep(StepInfo{Duration: took, Seqs: len(batch), Tokens: tokens})
	}
	return true
}

// plan sets each running sequence's tokens for this step, decodes first,
// and returns the token budget left for admissions.
func (s *Scheduler) plan() int {
	budget := s.opts.MaxBatchTokens
	for _, sq := range s.running {
		sq.n = 0
		if len(sq.hist)-sq.cache.Len == 1 && budget > 0 {
			sq.n = 1
			budget--
		}
	}
	for _, sq := range s.running {
		if rest := len(sq.hist) - sq.cache.Len; rest > 1 {
			sq.n = min(rest, s.opts.PrefillChunk, budget)
			budget -= sq.n
		}
	}
	return budget
}

// admit moves waiting requests into the batch in arrival order while
// there is a free slot, token budget and KV room for the head of the queue.
func (s *Scheduler) admit(budget int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for len(s.waiting) > 0 {
		sq := s.waiting[0]
		if err := sq.ctx.Err(); err != nil {
			s.waiting = s.waiting[1:]
			s.end(sq, Event{Token: -1, Err: err})
			continue
		}
		if budget <= 0 || len(s.running) >= s.opts.MaxSeqs {
			break
		}
		held := len(sq.cache.Blocks)
		if !sq.cache.Reserve(len(sq.req.Prompt) + sq.req.MaxTokens) {
			break // FCFS: wait for blocks to come back
		}
		s.stats.kvReserved.Add(int64(len(sq.cache.Blocks)-held) * s.pool.BlockBytes())
		s.waiting[0] = nil
		s.waiting = s.waiting[1:]
		sq.n = min(len(sq.hist), s.opts.PrefillChunk, budget)
		budget -= sq.n
		s.running = append(s.running, sq)
	}
	// Drop cancelled requests further back too, so they leave the queue
	// (and the waiting gauge) at once.
	kept := s.waiting[:0]
	for _, sq := range s.waiting {
		if err := sq.ctx.Err(); err != nil {
			s.end(sq, Event{Token: -1, Err: err})
			continue
		}
		kept = append(kept, sq)
	}
	clear(s.waiting[len(kept):])
	s.waiting = kept
	s.stats.waiting.Store(int64(len(s.waiting)))
}

// sampleNext draws a sequence's next token and reports whether the
// request is finished with it.
func (s *Scheduler) sampleNext(sq *seq, logits []float32) (Event, bool) {
	eos := s.info.EOS
	if sq.generated < sq.req.MinTokens && eos >= 0 && eos < len(logits) {
		logits[eos] = float32(math.Inf(-1))
	}
	id := sq.sampler.sample(logits)
	sq.generated++
	sq.hist = append(sq.hist, id)
	s.stats.generated.Add(1)

	ev := Event{Token: id}
	minDone := sq.generated >= sq.req.MinTokens
	if id == eos && !sq.req.IgnoreEOS {
		ev.Text = sq.text.flush()
		ev.Finish = FinishStop
		return ev, true
	}
	if id != eos {
		var stopped bool
		ev.Text, stopped = sq.text.add(id, minDone)
		if stopped {
			ev.Finish = FinishStop
			return ev, true
		}
	}
	if sq.generated >= sq.req.MaxTokens {
		ev.Text += sq.text.flush()
		ev.Finish = FinishLength
		return ev, true
	}
	return ev, false
}
