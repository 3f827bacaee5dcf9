package engine_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
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

// TestTiming checks that injected delays are measured. On each try:
//
//   - always, accuracy against what the fake engine really did (it notes
//     when it starts writing each chunk, as time since the request
//     arrived): no chunk may be measured before it was sent; the measured
//     TTFT may lag the engine's first send by at most 25 ms (the request's
//     trip to the engine plus the read); and, pairing each measured gap
//     with the engine's own gap, the median difference must be at most
//     2 ms;
//   - on a calm try (the engine's first send at most 5 ms late, its median
//     gap at most 2 ms long, the request at the engine within 5 ms), the
//     injected values TTFT 50 ms and ITL 10 ms: measured TTFT in
//     [50 ms, 60 ms] and median gap within ±5 ms of 10 ms.
//
// Other test binaries and other work can load the machine, so a try
// outside the tolerance is repeated, up to five times. A client that
// measures wrongly (counting the role-only or keep-alive event, timing
// reads in batches) fails every try; structural errors fail at once.
// TestTTFTFromRequestStart covers measuring from the wrong start.
func TestTiming(t *testing.T) {
	t.Parallel()
	const ttft, itl, n = 50 * time.Millisecond, 10 * time.Millisecond, 12
	const ms = time.Millisecond
	srv := enginetest.NewServer(t, enginetest.Options{TTFT: ttft, ITL: itl, KeepAlive: true})
	median := func(d []time.Duration) time.Duration {
		d = slices.Clone(d)
		slices.Sort(d)
		return d[len(d)/2]
	}
	for _, req := range []engine.Request{completion(n, true), chat(n, true)} {
		t.Run(string(req.API), func(t *testing.T) {
			var problems []string
			for try := 1; try <= 5; try++ {
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
				sent := srv.SendTimes()
				if len(sent) != n {
					t.Fatalf("engine sent %d chunks, want %d", len(sent), n)
				}
				at := make([]time.Duration, n)
				for i, ch := range resp.Chunks {
					at[i] = ch.At
					if ch.At < sent[i] {
						t.Fatalf("chunk %d measured at %v, before the engine sent it at %v", i, ch.At, sent[i])
					}
				}
				var gaps, sentGaps, diffs []time.Duration
				for i := 1; i < n; i++ {
					g, s := at[i]-at[i-1], sent[i]-sent[i-1]
					gaps, sentGaps, diffs = append(gaps, g), append(sentGaps, s), append(diffs, max(g-s, s-g))
				}
				var bad []string
				lag := at[0] - sent[0]
				if lag > 25*ms {
					bad = append(bad, fmt.Sprintf("TTFT lags the engine by %v", lag))
				}
				if m := median(diffs); m > 2*ms {
					bad = append(bad, fmt.Sprintf("measured gaps differ from the engine's by %v (median)", m))
				}
				if sent[0] <= ttft+5*ms && median(sentGaps) <= itl+2*ms && lag <= 5*ms {
					if at[0] < ttft || at[0] > ttft+10*ms {
						bad = append(bad, fmt.Sprintf("TTFT %v, want %v +10ms", at[0], ttft))
					}
					if m := median(gaps); m < itl-5*ms || m > itl+5*ms {
						bad = append(bad, fmt.Sprintf("median ITL %v, want %v ±5ms", m, itl))
					}
				}
				if len(bad) == 0 {
					return
				}
				problems = append(problems, fmt.Sprintf("try %d: %s (measured %v, sent %v)", try, strings.Join(bad, "; "), at, sent))
			}
			t.Errorf("timing outside tolerance in every try:\n%s", strings.Join(problems, "\n"))
		})
	}
}

// TestTTFTFromRequestStart checks that TTFT counts from when the request
// was sent, not from when response headers came: this engine holds its
// headers back until the first token is ready, as some engines do.
func TestTTFTFromRequestStart(t *testing.T) {
	t.Parallel()
	const delay = 30 * time.Millisecond
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(delay)
		w.Header().Set("Content-Type", "text/event-stream")
		fmt.Fprint(w, "data: {\"choices\":[{\"text\":\"a\"}]}\n\ndata: [DONE]\n\n")
	}))
	t.Cleanup(srv.Close)
	resp, err := client(srv.URL).Do(context.Background(), completion(1, true))
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.Chunks) != 1 || resp.Chunks[0].At < delay {
		t.Errorf("got chunks %+v, want one at %v or later", resp.Chunks, delay)
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
	// At least the chunks delivered before the cancel; bytes already
	// buffered in the transport may still come through after it.
	if n := len(resp.Chunks); n < ca.seen || n >= 1000 {
		t.Errorf("got %d chunks, want at least the %d that arrived before the cancel, and not all", n, ca.seen)
	}
	if resp.Text != strings.Repeat(" tok", len(resp.Chunks)) {
		t.Errorf("got text %q for %d chunks", resp.Text, len(resp.Chunks))
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
