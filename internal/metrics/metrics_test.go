package metrics

import (
	"context"
	"errors"
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/muaibench/muaibench/internal/engine"
)

func TestSummarize(t *testing.T) {
	tests := []struct {
		name    string
		samples []float64
		want    Stats
	}{
		{"empty", nil, Stats{}},
		{"one", []float64{7}, Stats{N: 1, Mean: 7, Min: 7, Max: 7, P50: 7, P90: 7, P95: 7, P99: 7}},
		// numpy.percentile([4,1,3,2], [50,90,95,99]) = 2.5, 3.7, 3.85, 3.97
		{"four unsorted", []float64{4, 1, 3, 2}, Stats{N: 4, Mean: 2.5, Stddev: math.Sqrt(5.0 / 3), Min: 1, Max: 4,
			P50: 2.5, P90: 3.7, P95: 3.85, P99: 3.97}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Summarize(tt.samples)
			if diff := cmp.Diff(tt.want, got, cmpopts.EquateApprox(0, 1e-12)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
	s := []float64{3, 1, 2}
	Summarize(s)
	if s[0] != 3 {
		t.Error("Summarize reordered its input")
	}
}

func TestPercentileHundred(t *testing.T) {
	s := make([]float64, 100)
	for i := range s {
		s[i] = float64(i + 1)
	}
	// numpy: percentile(1..100, 99) = 99.01, 50 = 50.5
	for p, want := range map[float64]float64{50: 50.5, 99: 99.01, 100: 100, 0: 1} {
		if got := Percentile(s, p); math.Abs(got-want) > 1e-9 {
			t.Errorf("P%g: got %g, want %g", p, got, want)
		}
	}
}

func response(chunkAt ...time.Duration) *engine.Response {
	r := &engine.Response{Start: time.Unix(100, 0), Status: 200}
	for _, at := range chunkAt {
		r.Chunks = append(r.Chunks, engine.Chunk{At: at, Text: "x"})
	}
	r.End = chunkAt[len(chunkAt)-1] + time.Millisecond
	return r
}

func TestMeasure(t *testing.T) {
	resp := response(50*time.Millisecond, 60*time.Millisecond, 75*time.Millisecond)
	resp.Usage = &engine.Usage{PromptTokens: 10, CompletionTokens: 3}
	start := resp.Start.Add(-2 * time.Millisecond) // scheduled 2 ms before the send
	r := Measure(start, resp, nil, nil)
	want := Record{
		Start: start, SendLagMs: 2, TTFTMs: 52, E2EMs: 78, ITLMs: []float64{10, 15},
		TPOTMs: 13, OutputTPS: 3 / 0.078, PromptTokens: 10, OutputTokens: 3,
		TokenSource: "usage", Chunks: 3, Status: 200,
	}
	if diff := cmp.Diff(want, r, cmpopts.EquateApprox(0, 1e-9)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestMeasureWithoutUsageCountsText(t *testing.T) {
	resp := response(time.Millisecond, 2*time.Millisecond)
	resp.Text = "a b c d"
	r := Measure(resp.Start, resp, nil, func(s string) int { return 4 })
	if r.OutputTokens != 4 || r.TokenSource != "tokenizer" {
		t.Errorf("got %d tokens from %q, want 4 from tokenizer", r.OutputTokens, r.TokenSource)
	}
	r = Measure(resp.Start, resp, nil, nil)
	if r.OutputTokens != 2 || r.TokenSource != "chunks" {
		t.Errorf("got %d tokens from %q, want 2 from chunks", r.OutputTokens, r.TokenSource)
	}
}

func TestMeasureErrorKinds(t *testing.T) {
	tests := []struct {
		err  error
		want string
	}{
		{&engine.StatusError{Code: 400, Message: "too long"}, "http_4xx"},
		{&engine.StatusError{Code: 503}, "http_5xx"},
		{&engine.StreamError{Message: "boom"}, "stream_error"},
		{context.DeadlineExceeded, "timeout"},
		{fmt.Errorf("%w after 3 chunks: read tcp: connection reset by peer", engine.ErrBroken), "connection"},
		{fmt.Errorf("%w: unexpected end of JSON", engine.ErrMalformed), "malformed"},
		{errors.New("something else"), "other"},
	}
	for _, tt := range tests {
		r := Measure(time.Now(), &engine.Response{}, tt.err, nil)
		if r.ErrorKind != tt.want || r.OK() {
			t.Errorf("%v: got kind %q ok %v, want %q and not ok", tt.err, r.ErrorKind, r.OK(), tt.want)
		}
	}
}

func TestAggregator(t *testing.T) {
	a := NewAggregator(SLO{TTFT: 60 * time.Millisecond}, true)
	t0 := time.Unix(1000, 0)
	recs := []Record{
		{Warmup: true, Start: t0, TTFTMs: 999, E2EMs: 999, Chunks: 1},
		{Start: t0, TTFTMs: 50, E2EMs: 100, ITLMs: []float64{10, 20}, TPOTMs: 25, OutputTPS: 30,
			PromptTokens: 8, OutputTokens: 3, RequestedPromptTokens: 8, RequestedOutputTokens: 3, TokenSource: "usage", Chunks: 3},
		{Start: t0.Add(100 * time.Millisecond), TTFTMs: 70, E2EMs: 900, ITLMs: []float64{30}, TPOTMs: 415, OutputTPS: 2,
			PromptTokens: 9, OutputTokens: 3, RequestedPromptTokens: 8, RequestedOutputTokens: 4, TokenSource: "usage", Chunks: 2},
		{Start: t0.Add(200 * time.Millisecond), E2EMs: 5, Error: "HTTP 500", ErrorKind: "http_5xx"},
	}
	for i := range recs {
		a.Add(&recs[i])
	}
	s := a.Close()
	if s.Requests != 3 || s.Succeeded != 2 || s.Errors != 1 || s.ErrorKinds["http_5xx"] != 1 {
		t.Errorf("got requests %d ok %d errors %d kinds %v, want 3 2 1 map[http_5xx:1]", s.Requests, s.Succeeded, s.Errors, s.ErrorKinds)
	}
	if s.TTFT.N != 2 || s.TTFT.Max != 70 || s.ITL.N != 3 || s.ITL.Max != 30 {
		t.Errorf("got TTFT %+v ITL %+v, want the warm-up left out", s.TTFT, s.ITL)
	}
	if s.PromptMismatches != 1 || s.OutputMismatches != 1 {
		t.Errorf("got mismatches prompt %d output %d, want 1 1", s.PromptMismatches, s.OutputMismatches)
	}
	if s.GoodRequests != 1 || math.Abs(s.WallSeconds-1.0) > 1e-9 || math.Abs(s.Goodput-1) > 1e-9 {
		t.Errorf("got good %d wall %g goodput %g, want 1 1 1", s.GoodRequests, s.WallSeconds, s.Goodput)
	}
}

func BenchmarkAggregatorAdd(b *testing.B) {
	r := Record{Start: time.Unix(0, 0), TTFTMs: 10, E2EMs: 100, ITLMs: make([]float64, 63), TPOTMs: 1, OutputTPS: 600,
		OutputTokens: 64, RequestedOutputTokens: 64, TokenSource: "usage", Chunks: 64}
	a := NewAggregator(SLO{}, true)
	for b.Loop() {
		a.Add(&r)
	}
}
