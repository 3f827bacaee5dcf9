package engine_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/muaibench/muaibench/internal/engine"
	"github.com/muaibench/muaibench/internal/engine/enginetest"
)

func completion(n int, stream bool) engine.Request {
	return engine.Request{API: engine.APICompletions, Model: "fake-model", Prompt: "hello world", MaxTokens: n, Stream: stream}
}

func chat(n int, stream bool) engine.Request {
	return engine.Request{API: engine.APIChat, Model: "fake-model", Messages: []engine.Message{{Role: "user", Content: "hello"}}, MaxTokens: n, Stream: stream}
}

func client(url string) *engine.OpenAI {
	return engine.NewOpenAI(engine.OpenAIOptions{BaseURL: url, Dialect: engine.DialectVLLM})
}

// TestTiming checks that injected delays are measured. The fake engine
// sends token i at TTFT + i·ITL after the request arrived (an absolute
// schedule, so sleeps do not accumulate drift). Tolerances, on loopback:
// the measured TTFT may not be early and may be late by at most 10 ms
// (connection setup and scheduling); the median gap between chunks must
// be within ±5 ms of the ITL; no gap may be negative. The machine running
// the tests may be loaded by other work, so a measurement outside the
// tolerance is retried, up to three times; a client that measures wrongly
// (from the wrong start, counting the role-only chunk, timing reads in
// batches) fails every attempt.
func TestTiming(t *testing.T) {
	t.Parallel()
	const ttft, itl, n = 50 * time.Millisecond, 10 * time.Millisecond, 12
	srv := enginetest.NewServer(t, enginetest.Options{TTFT: ttft, ITL: itl, KeepAlive: true})
	for _, req := range []engine.Request{completion(n, true), chat(n, true)} {
		t.Run(string(req.API), func(t *testing.T) {
			var problems []string
			for attempt := 1; attempt <= 3; attempt++ {
				resp, err := client(srv.URL).Do(context.Background(), req)
				if err != nil {
					t.Fatal(err)
				}
				if len(resp.Chunks) != n {
					t.Fatalf("got %d chunks, want %d (role-only and keep-alive events must not count)", len(resp.Chunks), n)
				}
				if resp.Usage == nil || resp.Usage.CompletionTokens != n {
					t.Fatalf("got usage %+v, want %d completion tokens", resp.Usage, n)
				}
				if resp.End < resp.Chunks[n-1].At {
					t.Fatalf("got End %v before the last chunk at %v", resp.End, resp.Chunks[n-1].At)
				}
				got := resp.Chunks[0].At
				if got < ttft {
					t.Fatalf("got TTFT %v, before the engine sent the first token at %v", got, ttft)
				}
				var gaps []time.Duration
				for i := 1; i < n; i++ {
					gap := resp.Chunks[i].At - resp.Chunks[i-1].At
					if gap < 0 {
						t.Fatalf("gap %d is negative: %v", i, gap)
					}
					gaps = append(gaps, gap)
				}
				slices.Sort(gaps)
				med := gaps[len(gaps)/2]
				if got <= ttft+10*time.Millisecond && med >= itl-5*time.Millisecond && med <= itl+5*time.Millisecond {
					return
				}
				problems = append(problems, fmt.Sprintf("attempt %d: TTFT %v (want %v +10ms), median ITL %v (want %v ±5ms), gaps %v", attempt, got, ttft, med, itl, gaps))
			}
			t.Errorf("timing outside tolerance in every attempt:\n%s", strings.Join(problems, "\n"))
		})
	}
}

func TestStreamShapes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		opts       enginetest.Options
		req        engine.Request
		wantChunks int
		wantText   string
	}{
		{"completions", enginetest.Options{}, completion(5, true), 5, strings.Repeat(" tok", 5)},
		{"chat with role chunk and keep-alive", enginetest.Options{KeepAlive: true}, chat(5, true), 5, strings.Repeat(" tok", 5)},
		{"multi-token chunks", enginetest.Options{TokensPerChunk: 3}, completion(10, true), 4, strings.Repeat(" tok", 10)},
		{"missing [DONE]", enginetest.Options{Fail: enginetest.Failure{Mode: enginetest.FailNoDone}}, chat(4, true), 4, strings.Repeat(" tok", 4)},
		{"non-streamed completions", enginetest.Options{}, completion(3, false), 1, strings.Repeat(" tok", 3)},
		{"non-streamed chat", enginetest.Options{}, chat(3, false), 1, strings.Repeat(" tok", 3)},
		{"unicode token", enginetest.Options{Token: "é\n\"x\""}, chat(2, true), 2, "é\n\"x\"é\n\"x\""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := enginetest.NewServer(t, tt.opts)
			resp, err := client(srv.URL).Do(context.Background(), tt.req)
			if err != nil {
				t.Fatal(err)
			}
			if len(resp.Chunks) != tt.wantChunks || resp.Text != tt.wantText {
				t.Errorf("got %d chunks %q, want %d chunks %q", len(resp.Chunks), resp.Text, tt.wantChunks, tt.wantText)
			}
			if resp.FinishReason != "length" {
				t.Errorf("got finish reason %q, want length", resp.FinishReason)
			}
			if !tt.req.Stream && resp.Chunks[0].At != resp.End {
				t.Errorf("got the one chunk at %v, want it at End %v", resp.Chunks[0].At, resp.End)
			}
			if resp.Status != http.StatusOK {
				t.Errorf("got status %d, want 200", resp.Status)
			}
		})
	}
}

// cancelAfter cancels a context once the response body has delivered n
// SSE data lines, so a test can cancel mid-stream without relying on how
// fast the machine is.
type cancelAfter struct {
	n      int
	cancel context.CancelFunc
	at     chan time.Time
	seen   int // data lines delivered when it cancelled
}

func (c *cancelAfter) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err == nil {
		resp.Body = &cancelBody{ReadCloser: resp.Body, c: c}
	}
	return resp, err
}

type cancelBody struct {
	io.ReadCloser
	c    *cancelAfter
	seen int
	done bool
}

func (b *cancelBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	b.seen += bytes.Count(p[:n], []byte("data: "))
	if b.seen >= b.c.n && !b.done {
		b.done = true
		b.c.seen = b.seen
		b.c.at <- time.Now()
		b.c.cancel()
	}
	return n, err
}

func TestCancelMidStream(t *testing.T) {
	t.Parallel()
	srv := enginetest.NewServer(t, enginetest.Options{ITL: 20 * time.Millisecond})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ca := &cancelAfter{n: 3, cancel: cancel, at: make(chan time.Time, 1)}
	c := engine.NewOpenAI(engine.OpenAIOptions{BaseURL: srv.URL, HTTPClient: &http.Client{Transport: ca}})
	resp, err := c.Do(ctx, completion(1000, true))
	returned := time.Now()
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("got error %v, want context.Canceled", err)
	}
	// Prompt: the next token is 20 ms away and the stream 20 s long; allow
	// a loaded machine 500 ms.
	if took := returned.Sub(<-ca.at); took > 500*time.Millisecond {
		t.Errorf("Do returned %v after the cancel, want promptly", took)
	}
	// Usually 3; a stalled reader may have got a 4th event in the same read.
	if n := len(resp.Chunks); n != ca.seen {
		t.Errorf("got %d chunks, want the %d that arrived before the cancel", n, ca.seen)
	}
	if resp.Text != strings.Repeat(" tok", ca.seen) {
		t.Errorf("got text %q, want the %d tokens before the cancel", resp.Text, ca.seen)
	}
}

func TestConcurrent(t *testing.T) {
	t.Parallel()
	srv := enginetest.NewServer(t, enginetest.Options{ITL: time.Millisecond})
	c := client(srv.URL)
	const n = 200
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Go(func() {
			req := completion(8, true)
			if i%2 == 1 {
				req = chat(8, true)
			}
			resp, err := c.Do(context.Background(), req)
			if err == nil && len(resp.Chunks) != 8 {
				err = fmt.Errorf("got %d chunks, want 8", len(resp.Chunks))
			}
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if srv.Requests() != n {
		t.Errorf("server got %d requests, want %d", srv.Requests(), n)
	}
}
