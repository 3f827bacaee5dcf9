package sched

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/muaibench/muaibench/internal/infer/sched/schedtest"
)

// start runs s until the test ends.
func start(t *testing.T, s *Scheduler) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		<-done
	})
}

type result struct {
	tokens []int
	text   string
	finish string
	err    error
}

// collect reads a request's events to the end.
func collect(ch <-chan Event) result {
	var r result
	for ev := range ch {
		if ev.Token >= 0 {
			r.tokens = append(r.tokens, ev.Token)
		}
		r.text += ev.Text
		if ev.Finish != "" {
			r.finish = ev.Finish
		}
		if ev.Err != nil {
			r.err = ev.Err
		}
	}
	return r
}

func seed(v int64) *int64 { return &v }

// mixedRequests are requests of different lengths and samplers.
func mixedRequests() []Request {
	var reqs []Request
	for i := range 9 {
		prompt := make([]int, 1+i*7)
		for j := range prompt {
			prompt[j] = (i*31 + j*7) % 250
		}
		reqs = append(reqs, Request{
			Prompt:    prompt,
			MaxTokens: 3 + i*5,
			Sampling: Sampling{
				Temperature: []float64{0, 0.7, 1.3}[i%3],
				TopK:        []int{0, 5, 40}[i%3],
				TopP:        []float64{1, 0.9, 0.5}[(i/3)%3],
				Seed:        seed(int64(100 + i)),
			},
			IgnoreEOS: true,
		})
	}
	return reqs
}

// runAll runs reqs to the end and also returns the most sequences that
// shared one step.
func runAll(t *testing.T, opts Options, reqs []Request) ([]result, int) {
	t.Helper()
	m := schedtest.NewModel(256, 256)
	s := New(m, opts)
	start(t, s)
	chans := make([]<-chan Event, len(reqs))
	for i, r := range reqs {
		ch, err := s.Submit(context.Background(), r)
		if err != nil {
			t.Fatalf("Submit %d: %v", i, err)
		}
		chans[i] = ch
	}
	out := make([]result, len(reqs))
	for i, ch := range chans {
		out[i] = collect(ch)
	}
	_, seqs, _ := m.Calls()
	return out, seqs
}

func TestBatchedEqualsUnbatched(t *testing.T) {
	t.Parallel()
	reqs := mixedRequests()
	opts := Options{MaxSeqs: 4, MaxBatchTokens: 24, PrefillChunk: 10, BlockTokens: 4, TokenBytes: schedtest.Tokenizer{}.TokenBytes}
	batched, seqs := runAll(t, opts, reqs)
	if seqs < 2 {
		t.Fatalf("batched run put at most %d sequence in a step; the test needs batching", seqs)
	}
	opts.NoBatching = true
	single, seqs := runAll(t, opts, reqs)
	if seqs != 1 {
		t.Fatalf("unbatched run put %d sequences in a step, want 1", seqs)
	}
	for i := range reqs {
		b, u := batched[i], single[i]
		if b.err != nil || u.err != nil {
			t.Fatalf("request %d: errors %v, %v", i, b.err, u.err)
		}
		if len(b.tokens) != reqs[i].MaxTokens {
			t.Errorf("request %d: got %d tokens, want %d", i, len(b.tokens), reqs[i].MaxTokens)
		}
		if diff := cmp.Diff(u.tokens, b.tokens); diff != "" {
			t.Errorf("request %d: batched differs from unbatched (-unbatched +batched):\n%s", i, diff)
		}
		if b.finish != FinishLength {
			t.Errorf("request %d: finish %q, want length", i, b.finish)
		}
	}
}

func TestAdmissionLimits(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name          string
		opts          Options
		wantSeqs      int // max sequences per Forward, exactly
		wantMaxTokens int // bound on tokens per Forward
	}{
		{"max seqs", Options{MaxSeqs: 3, MaxBatchTokens: 1000, PrefillChunk: 8}, 3, 1000},
		{"batch tokens", Options{MaxSeqs: 16, MaxBatchTokens: 12, PrefillChunk: 8}, 9, 12},
		{"no batching", Options{NoBatching: true, PrefillChunk: 5}, 1, 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			m := schedtest.NewModel(256, 128)
			s := New(m, tt.opts)
			// Queue everything before the loop starts, so admission sees
			// the whole queue at once.
			var chans []<-chan Event
			for i := range 9 {
				prompt := make([]int, 10+i)
				ch, err := s.Submit(context.Background(), Request{Prompt: prompt, MaxTokens: 20, IgnoreEOS: true})
				if err != nil {
					t.Fatal(err)
				}
				chans = append(chans, ch)
			}
			start(t, s)
			for _, ch := range chans {
				if r := collect(ch); r.err != nil || len(r.tokens) != 20 {
					t.Fatalf("got %d tokens, err %v; want 20", len(r.tokens), r.err)
				}
			}
			_, seqs, tokens := m.Calls()
			if seqs != tt.wantSeqs {
				t.Errorf("max sequences in one step: got %d, want %d", seqs, tt.wantSeqs)
			}
			if tokens > tt.wantMaxTokens {
				t.Errorf("max tokens in one step: got %d, want <= %d", tokens, tt.wantMaxTokens)
			}
		})
	}
}

func TestPrefillIsChunked(t *testing.T) {
	t.Parallel()
	m := schedtest.NewModel(256, 256)
	s := New(m, Options{PrefillChunk: 16, MaxBatchTokens: 64})
	start(t, s)
	ch, err := s.Submit(context.Background(), Request{Prompt: make([]int, 100), MaxTokens: 2, IgnoreEOS: true})
	if err != nil {
		t.Fatal(err)
	}
	collect(ch)
	// 100 prompt tokens in chunks of 16 = 7 steps, then one decode step.
	if calls, _, _ := m.Calls(); calls != 8 {
		t.Errorf("Forward calls: got %d, want 8", calls)
	}
	st := s.Stats()
	if st.PromptTokens != 100 || st.GenerationTokens != 2 {
		t.Errorf("stats: got prompt %d, generated %d; want 100, 2", st.PromptTokens, st.GenerationTokens)
	}
}

// waitFor polls cond until it holds or a bounded deadline passes.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

func TestFullPoolMakesRequestsWait(t *testing.T) {
	t.Parallel()
	m := schedtest.NewModel(256, 256)
	// 1 layer, kvDim 1, 4 tokens per block: 2·4 floats, 32 bytes a block.
	s := New(m, Options{BlockTokens: 4, KVCacheBytes: 320, MaxSeqs: 8})
	if got := s.Pool().TotalBlocks(); got != 10 {
		t.Fatalf("pool blocks: got %d, want 10", got)
	}
	// Each request needs 6 blocks (8 prompt + 16 generated): only one fits
	// at a time, the others must wait, not fail.
	var chans []<-chan Event
	for range 4 {
		ch, err := s.Submit(context.Background(), Request{Prompt: make([]int, 8), MaxTokens: 16, IgnoreEOS: true})
		if err != nil {
			t.Fatal(err)
		}
		chans = append(chans, ch)
	}
	start(t, s)
	for i, ch := range chans {
		if r := collect(ch); r.err != nil || len(r.tokens) != 16 {
			t.Fatalf("request %d: got %d tokens, err %v", i, len(r.tokens), r.err)
		}
	}
	if _, seqs, _ := m.Calls(); seqs != 1 {
		t.Errorf("sequences per step: got %d, want 1 (the pool holds one)", seqs)
	}
	waitFor(t, "empty pool", func() bool { return s.Pool().FreeBlocks() == 10 })
}

func TestSubmitRefusesWhatCanNeverFit(t *testing.T) {
	t.Parallel()
	m := schedtest.NewModel(256, 64)
	s := New(m, Options{BlockTokens: 4, KVCacheBytes: 320}) // 40 tokens of KV
	tests := []struct {
		name string
		req  Request
		want string
	}{
		{"kv", Request{Prompt: make([]int, 30), MaxTokens: 20}, "KV cache"},
		{"context", Request{Prompt: make([]int, 60), MaxTokens: 5}, "context"},
		{"empty", Request{MaxTokens: 5}, "empty prompt"},
		{"max tokens", Request{Prompt: []int{1}, MaxTokens: 0}, "max_tokens"},
		{"temperature", Request{Prompt: []int{1}, MaxTokens: 1, Sampling: Sampling{Temperature: -1}}, "temperature"},
		{"top_p", Request{Prompt: []int{1}, MaxTokens: 1, Sampling: Sampling{TopP: 2}}, "top_p"},
		{"vocab", Request{Prompt: []int{300}, MaxTokens: 1}, "vocabulary"},
		{"stop without tokenizer", Request{Prompt: []int{1}, MaxTokens: 1, Stop: []string{"x"}}, "tokenizer"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := s.Submit(context.Background(), tt.req)
			if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %v, want ErrInvalid mentioning %q", err, tt.want)
			}
		})
	}
}

func TestCancelFreesBlocks(t *testing.T) {
	t.Parallel()
	gate := make(chan struct{})
	m := schedtest.NewModel(256, 256)
	var once sync.Once
	first := make(chan struct{})
	m.Next = func(hist []int, out []float32) {
		once.Do(func() { close(first) })
		<-gate
		clear(out)
	}
	s := New(m, Options{BlockTokens: 4, KVCacheBytes: 32 * 40}) // 160 tokens: room for one request
	start(t, s)
	total := s.Pool().TotalBlocks()

	ctx, cancel := context.WithCancel(context.Background())
	ch, err := s.Submit(ctx, Request{Prompt: make([]int, 10), MaxTokens: 100, IgnoreEOS: true})
	if err != nil {
		t.Fatal(err)
	}
	// A second request that waits behind the first (the pool is too small
	// for both), then is cancelled while queued.
	ctx2, cancel2 := context.WithCancel(context.Background())
	ch2, err := s.Submit(ctx2, Request{Prompt: make([]int, 10), MaxTokens: 100, IgnoreEOS: true})
	if err != nil {
		t.Fatal(err)
	}
	<-first // the first request is running, its blocks are held
	if s.Pool().FreeBlocks() == total {
		t.Fatal("no blocks reserved for a running request")
	}
	cancel2()
	cancel()
	close(gate)
	for i, c := range []<-chan Event{ch, ch2} {
		if r := collect(c); !errors.Is(r.err, context.Canceled) {
			t.Errorf("request %d: got err %v, want context.Canceled", i, r.err)
		}
	}
	waitFor(t, "pool back to full", func() bool { return s.Pool().FreeBlocks() == total })
	st := s.Stats()
	if st.Running != 0 || st.Waiting != 0 || st.KVUsedBytes != 0 {
		t.Errorf("after cancel: got %+v, want nothing running, waiting or held", st)
	}
}

func TestStopAndEOS(t *testing.T) {
	t.Parallel()
	// The model spells "hello world<EOS>" then repeats "!".
	script := []int{'h', 'e', 'l', 'l', 'o', ' ', 'w', 'o', 'r', 'l', 'd', 256}
	m := schedtest.NewModel(257, 128)
	m.EOS = 256
	m.Next = func(hist []int, out []float32) {
		clear(out)
		n := len(hist) - 1 // prompt is one token
		next := int('!')
		if n < len(script) {
			next = script[n]
		}
		out[next] = 10
		out['?'] = 5 // the runner-up, when EOS is masked
	}
	s := New(m, Options{TokenBytes: schedtest.Tokenizer{}.TokenBytes})
	start(t, s)
	tests := []struct {
		name       string
		req        Request
		wantText   string
		wantTokens int
		wantFinish string
	}{
		{"eos", Request{MaxTokens: 50}, "hello world", 12, FinishStop},
		{"ignore eos", Request{MaxTokens: 14, IgnoreEOS: true}, "hello world!!", 14, FinishLength},
		{"length", Request{MaxTokens: 4}, "hell", 4, FinishLength},
		{"stop string", Request{MaxTokens: 50, Stop: []string{"o w"}}, "hell", 7, FinishStop},
		{"earliest stop", Request{MaxTokens: 50, Stop: []string{"world", "ll"}}, "he", 4, FinishStop},
		{"stop never seen", Request{MaxTokens: 50, Stop: []string{"xyz"}}, "hello world", 12, FinishStop},
		{"min tokens masks eos", Request{MaxTokens: 13, MinTokens: 13}, "hello world?!", 13, FinishLength},
		{"min tokens delays stop", Request{MaxTokens: 50, MinTokens: 6, Stop: []string{"l"}}, "hello wor", 10, FinishStop},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.req.Prompt = []int{'>'}
			ch, err := s.Submit(context.Background(), tt.req)
			if err != nil {
				t.Fatal(err)
			}
			r := collect(ch)
			if r.err != nil {
				t.Fatal(r.err)
			}
			if r.text != tt.wantText || len(r.tokens) != tt.wantTokens || r.finish != tt.wantFinish {
				t.Errorf("got %q, %d tokens, finish %q; want %q, %d, %q",
					r.text, len(r.tokens), r.finish, tt.wantText, tt.wantTokens, tt.wantFinish)
			}
		})
	}
}

func TestRunStopsEverything(t *testing.T) {
	t.Parallel()
	m := schedtest.NewModel(256, 256)
	s := New(m, Options{})
	ch, err := s.Submit(context.Background(), Request{Prompt: []int{1}, MaxTokens: 5})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := s.Run(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("Run: got %v, want context.Canceled", err)
	}
	if r := collect(ch); !errors.Is(r.err, ErrStopped) {
		t.Errorf("queued request: got %v, want ErrStopped", r.err)
	}
	if _, err := s.Submit(context.Background(), Request{Prompt: []int{1}, MaxTokens: 5}); !errors.Is(err, ErrStopped) {
		t.Errorf("Submit after stop: got %v, want ErrStopped", err)
	}
}

func TestSlowReaderDoesNotStallOthers(t *testing.T) {
	t.Parallel()
	m := schedtest.NewModel(256, 256)
	s := New(m, Options{})
	start(t, s)
	slow, err := s.Submit(context.Background(), Request{Prompt: []int{1}, MaxTokens: 100, IgnoreEOS: true})
	if err != nil {
		t.Fatal(err)
	}
	fast, err := s.Submit(context.Background(), Request{Prompt: []int{2}, MaxTokens: 100, IgnoreEOS: true})
	if err != nil {
		t.Fatal(err)
	}
	// Nobody reads slow until fast is done.
	if r := collect(fast); len(r.tokens) != 100 {
		t.Fatalf("fast: got %d tokens, want 100", len(r.tokens))
	}
	if r := collect(slow); len(r.tokens) != 100 {
		t.Fatalf("slow: got %d tokens, want 100", len(r.tokens))
	}
}

func ExampleScheduler() {
	m := schedtest.NewModel(256, 64)
	s := New(m, Options{TokenBytes: schedtest.Tokenizer{}.TokenBytes})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go s.Run(ctx)
	ch, _ := s.Submit(ctx, Request{Prompt: []int{'a'}, MaxTokens: 3, IgnoreEOS: true})
	n := 0
	for ev := range ch {
		n++
		if ev.Finish != "" {
			fmt.Println(n, ev.Finish)
		}
	}
	// Output: 3 length
}
