package sched

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/muaibench/muaibench/internal/infer"
)

// Options configures a Scheduler. The zero value is usable: every field
// left zero takes its default.
type Options struct {
	// MaxSeqs is the most sequences in the running batch (default 16).
	MaxSeqs int
	// MaxBatchTokens is the most tokens one Forward call processes, decode
	// and prefill together (default 512). MaxSeqs is lowered to it.
	MaxBatchTokens int
	// PrefillChunk is the most prompt tokens of one sequence in one step
	// (default 256).
	PrefillChunk int
	// KVCacheBytes sizes the KV pool (default: MaxSeqs full contexts,
	// capped at 1 GiB, and at least one full context).
	KVCacheBytes int64
	// BlockTokens is the number of tokens per KV block (default 16).
	BlockTokens int
	// NoBatching runs one sequence at a time, so that the gain of
	// continuous batching can be measured. The zero value batches.
	NoBatching bool
	// Seed seeds the RNG of requests that bring no seed of their own.
	Seed int64
	// TokenBytes returns a token's raw bytes; it turns tokens into Event
	// text and lets stop strings work. Nil leaves Event.Text empty and
	// refuses requests with stop strings.
	TokenBytes func(id int) []byte
	// OnStep, when set, is called from the scheduler's loop after every
	// step (keep it cheap: it runs on the hot path).
	OnStep func(StepInfo)
}

// StepInfo describes one forward step.
type StepInfo struct {
	Duration time.Duration
	Seqs     int // sequences in the batch
	Tokens   int // tokens processed, prefill and decode
}

const defaultKVCap = 1 << 30

func (o Options) withDefaults() Options {
	if o.MaxSeqs <= 0 {
		o.MaxSeqs = 16
	}
	if o.MaxBatchTokens <= 0 {
		o.MaxBatchTokens = 512
	}
	if o.PrefillChunk <= 0 {
		o.PrefillChunk = 256
	}
	if o.BlockTokens <= 0 {
		o.BlockTokens = 16
	}
	if o.NoBatching {
		o.MaxSeqs = 1
	}
	o.MaxSeqs = min(o.MaxSeqs, o.MaxBatchTokens)
	return o
}

// Request is one generation request, in tokens.
type Request struct {
	Prompt    []int
	MaxTokens int
	// MinTokens keeps EOS and stop strings from ending the request before
	// this many tokens (EOS is masked out of sampling until then).
	MinTokens int
	Sampling  Sampling
	// Stop strings end the request when the generated text contains one;
	// the text handed out ends just before it.
	Stop []string
	// IgnoreEOS keeps generating after an EOS token.
	IgnoreEOS bool
}

// Finish reasons, as the OpenAI API names them.
const (
	FinishStop   = "stop"
	FinishLength = "length"
)

// Event is one step's output for a request: a token, or the end.
type Event struct {
	// Token is the generated id, or -1 when the event carries none.
	Token int
	// Text is the text this token made safe to release: empty when its
	// bytes are held back (a split character, a possible stop string).
	Text string
	// Finish is set on the last event of a request that completed.
	Finish string
	// Err is set on the last event of a request that did not complete
	// (its context was cancelled, or the scheduler stopped).
	Err error
}

// Errors returned by Submit and carried in Event.Err.
var (
	// ErrInvalid wraps every reason Submit refuses a request.
	ErrInvalid = errors.New("sched: invalid request")
	// ErrStopped is the error of requests still queued or running when
	// Run returns, and of Submit after that.
	ErrStopped = errors.New("sched: scheduler stopped")
)

// Scheduler runs continuous batching over one model. Submit is safe for
// concurrent use; Run must be called once, in its own goroutine.
type Scheduler struct {
	model infer.Model
	info  infer.ModelInfo
	opts  Options
	pool  *infer.KVPool

	mu      sync.Mutex
	waiting []*seq
	stopped bool
	nextID  uint64

	wake    chan struct{}
	started atomic.Bool

	running []*seq // owned by Run's goroutine
	logits  [][]float32

	stats counters
}

// New makes a scheduler over model with its own KV pool.
func New(model infer.Model, opts Options) *Scheduler {
	opts = opts.withDefaults()
	info := model.Info()
	if opts.KVCacheBytes <= 0 {
		probe := model.NewKVPool(1, opts.BlockTokens) // one block
		ctxBlocks := int64((info.Shape.Context + opts.BlockTokens - 1) / opts.BlockTokens)
		full := ctxBlocks * probe.BlockBytes()
		opts.KVCacheBytes = max(full, min(int64(opts.MaxSeqs)*full, defaultKVCap))
	}
	return &Scheduler{
		model: model,
		info:  info,
		opts:  opts,
		pool:  model.NewKVPool(opts.KVCacheBytes, opts.BlockTokens),
		wake:  make(chan struct{}, 1),
	}
}

// Options returns the options in force, defaults filled in.
func (s *Scheduler) Options() Options { return s.opts }

// Pool returns the scheduler's KV pool (for its size and use).
func (s *Scheduler) Pool() *infer.KVPool { return s.pool }

// MaxTokensFor returns the most tokens a request with a prompt of n
// tokens could ask for: bounded by the context and by the KV pool.
func (s *Scheduler) MaxTokensFor(n int) int {
	kv := s.pool.TotalBlocks() * s.pool.BlockTokens()
	return min(s.info.Shape.Context, kv) - n
}

// Submit queues req and returns the channel its events arrive on: one
// per generated token, the last with Finish or Err set, then the channel
// closes. The channel is buffered for the whole request, so a slow reader
// never stalls the scheduler. Cancelling ctx ends the request and frees
// its KV blocks by the next step.
func (s *Scheduler) Submit(ctx context.Context, req Request) (<-chan Event, error) {
	if err := s.validate(req); err != nil {
		return nil, err
	}
	s.mu.Lock()
	if s.stopped {
		s.mu.Unlock()
		return nil, ErrStopped
	}
	id := s.nextID
	s.nextID++
	sq := s.newSeq(ctx, req, id)
	sq.stopWatch = context.AfterFunc(ctx, s.poke)
	s.waiting = append(s.waiting, sq)
	s.stats.waiting.Store(int64(len(s.waiting)))
	s.mu.Unlock()
	s.poke()
	return sq.events, nil
}

func (s *Scheduler) validate(req Request) error {
	n := len(req.Prompt)
	switch {
	case n == 0:
		return fmt.Errorf("%w: empty prompt", ErrInvalid)
	case req.MaxTokens < 1:
		return fmt.Errorf("%w: max_tokens must be >= 1, got %d", ErrInvalid, req.MaxTokens)
	case n+req.MaxTokens > s.info.Shape.Context:
		return fmt.Errorf("%w: prompt (%d tokens) + max_tokens (%d) exceeds the context (%d tokens)",
			ErrInvalid, n, req.MaxTokens, s.info.Shape.Context)
	case req.MaxTokens > s.MaxTokensFor(n):
		return fmt.Errorf("%w: prompt (%d tokens) + max_tokens (%d) can never fit the KV cache (%d tokens)",
			ErrInvalid, n, req.MaxTokens, s.pool.TotalBlocks()*s.pool.BlockTokens())
	case req.Sampling.Temperature < 0:
		return fmt.Errorf("%w: temperature must be >= 0, got %g", ErrInvalid, req.Sampling.Temperature)
	case req.Sampling.TopP < 0 || req.Sampling.TopP > 1:
		return fmt.Errorf("%w: top_p must be in [0, 1], got %g", ErrInvalid, req.Sampling.TopP)
	case req.Sampling.TopK < 0:
		return fmt.Errorf("%w: top_k must be >= 0, got %d", ErrInvalid, req.Sampling.TopK)
	case len(req.Stop) > 0 && s.opts.TokenBytes == nil:
		return fmt.Errorf("%w: stop strings need a tokenizer", ErrInvalid)
	}
	for _, id := range req.Prompt {
		if id < 0 || id >= s.info.Shape.Vocab {
			return fmt.Errorf("%w: prompt token %d outside the vocabulary (%d)", ErrInvalid, id, s.info.Shape.Vocab)
		}
	}
	return nil
}

// poke wakes the loop without blocking.
func (s *Scheduler) poke() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// Run drives the scheduler until ctx is done, then ends every queued and
// running request with ErrStopped and returns ctx's error. It may be
// called once.
func (s *Scheduler) Run(ctx context.Context) error {
	if !s.started.CompareAndSwap(false, true) {
		return errors.New("sched: Run called twice")
	}
	defer s.shutdown()
	for {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if s.step() {
			continue
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-s.wake:
		}
	}
}

func (s *Scheduler) shutdown() {
	s.mu.Lock()
	s.stopped = true
	waiting := s.waiting
	s.waiting = nil
	s.mu.Unlock()
	for _, sq := range waiting {
		s.end(sq, Event{Token: -1, Err: ErrStopped})
	}
	for _, sq := range s.running {
		s.end(sq, Event{Token: -1, Err: ErrStopped})
	}
	s.running = nil
	s.publish()
}
