package metrics

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/muaibench/muaibench/internal/engine"
)

// Record is one request as measured: what was asked, when it was meant to
// start, and what came back when. Times are milliseconds from the
// request's start (its scheduled send time in open loop, its send time in
// closed loop).
type Record struct {
	Scenario string    `json:"scenario"`
	Index    int       `json:"index"`
	Warmup   bool      `json:"warmup,omitempty"`
	Start    time.Time `json:"start"`
	// SendLagMs is how late the request was handed to the transport after
	// its start: client overload shows here instead of being hidden.
	SendLagMs float64   `json:"send_lag_ms"`
	TTFTMs    float64   `json:"ttft_ms"`
	E2EMs     float64   `json:"e2e_ms"`
	ITLMs     []float64 `json:"itl_ms,omitempty"`
	TPOTMs    float64   `json:"tpot_ms"`
	// OutputTPS is output tokens / E2E for this request.
	OutputTPS float64 `json:"output_tokens_per_s"`

	RequestedPromptTokens int `json:"requested_prompt_tokens"`
	RequestedOutputTokens int `json:"requested_output_tokens"`
	// PromptTokens and OutputTokens come from the engine's usage when it
	// sent one (TokenSource "usage"), else from the tokenizer.
	PromptTokens int    `json:"prompt_tokens"`
	OutputTokens int    `json:"output_tokens"`
	TokenSource  string `json:"token_source"`
	// Chunks is the number of output-carrying chunks.
	Chunks       int    `json:"chunks"`
	FinishReason string `json:"finish_reason,omitempty"`
	Status       int    `json:"status,omitempty"`
	Error        string `json:"error,omitempty"`
	// ErrorKind groups errors for the summary: http_4xx, http_5xx,
	// stream_error, timeout, canceled, connection, malformed.
	ErrorKind string `json:"error_kind,omitempty"`
}

// OK reports whether the request succeeded.
func (r *Record) OK() bool { return r.Error == "" }

// Counter counts tokens in text when the engine sends no usage.
type Counter func(text string) int

// Measure builds a Record from a response. start is the request's start
// (scheduled time, or send time); count is used when the engine sent no
// usage and may be nil. err is Do's error.
func Measure(start time.Time, resp *engine.Response, err error, count Counter) Record {
	r := Record{Start: start, Status: resp.Status, FinishReason: resp.FinishReason}
	var lag time.Duration
	if !resp.Start.IsZero() {
		lag = resp.Start.Sub(start)
		r.SendLagMs = ms(lag)
	}
	r.Chunks = len(resp.Chunks)
	if n := len(resp.Chunks); n > 0 {
		r.TTFTMs = ms(lag + resp.Chunks[0].At)
		if n > 1 {
			r.ITLMs = make([]float64, n-1)
			for i := 1; i < n; i++ {
				r.ITLMs[i-1] = ms(resp.Chunks[i].At - resp.Chunks[i-1].At)
			}
		}
	}
	r.E2EMs = ms(lag + resp.End)
	if resp.Usage != nil {
		r.PromptTokens = resp.Usage.PromptTokens
		r.OutputTokens = resp.Usage.CompletionTokens
		r.TokenSource = "usage"
	} else {
		r.TokenSource = "tokenizer"
		if count != nil {
			r.OutputTokens = count(resp.Text)
		} else {
			r.OutputTokens = chunkTokens(resp.Chunks)
			r.TokenSource = "chunks"
		}
	}
	if err != nil {
		r.Error = oneLine(err.Error())
		r.ErrorKind = errorKind(err)
		return r
	}
	if r.OutputTokens > 1 && r.TTFTMs > 0 {
		r.TPOTMs = (r.E2EMs - r.TTFTMs) / float64(r.OutputTokens-1)
	}
	if r.E2EMs > 0 {
		r.OutputTPS = float64(r.OutputTokens) / (r.E2EMs / 1000)
	}
	return r
}

func chunkTokens(chunks []engine.Chunk) int {
	n := 0
	for _, c := range chunks {
		n += max(c.Tokens, 1)
	}
	return n
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func oneLine(s string) string {
	s = strings.ReplaceAll(s, "\r", " ")
	return strings.ReplaceAll(s, "\n", " ")
}

// errorKind classifies err for the summary's error counts.
func errorKind(err error) string {
	var se *engine.StatusError
	var ie *engine.StreamError
	switch {
	case errors.As(err, &se):
		if se.Code >= 500 {
			return "http_5xx"
		}
		return "http_4xx"
	case errors.As(err, &ie):
		return "stream_error"
	case errors.Is(err, context.DeadlineExceeded):
		return "timeout"
	case errors.Is(err, context.Canceled):
		return "canceled"
	case errors.Is(err, engine.ErrMalformed):
		return "malformed"
	case errors.Is(err, engine.ErrUnreachable), errors.Is(err, engine.ErrBroken):
		return "connection"
	}
	return "other"
}
