// Package engine is the benchmark's view of an inference engine: a Client
// that sends one generation request and reports what came back and when.
package engine

import (
	"context"
	"fmt"
	"time"
)

// API selects the OpenAI-compatible route a request goes to.
type API string

// The routes a Client speaks.
const (
	APICompletions API = "completions" // POST /v1/completions
	APIChat        API = "chat"        // POST /v1/chat/completions
)

// Message is one chat message.
type Message struct {
	Role    string `json:"role"`
	Content string `json:"content"`
}

// Request is one generation request, independent of the engine's dialect.
type Request struct {
	API    API
	Model  string
	Prompt string // APICompletions
	// Prompts, when not empty, sends several prompts in one completions
	// request (a JSON list: a static batch); Prompt is then ignored.
	Prompts  []string
	Messages []Message // APIChat
	// MaxTokens is the number of output tokens asked for; with IgnoreEOS
	// (and MinTokens where the dialect has it) it is the number expected.
	MaxTokens   int
	MinTokens   int
	IgnoreEOS   bool
	Temperature float64
	Seed        *int64
	Stream      bool
	// Extra fields merged into the JSON body as they are (dialect knobs).
	Extra map[string]any
}

// Usage is the engine's own token accounting.
type Usage struct {
	PromptTokens     int `json:"prompt_tokens"`
	CompletionTokens int `json:"completion_tokens"`
	TotalTokens      int `json:"total_tokens"`
}

// Chunk is one streamed event that carried output text.
type Chunk struct {
	// At is the time since Response.Start at which the chunk was read,
	// from the monotonic clock.
	At time.Duration
	// Text is the output text the chunk carried.
	Text string
	// Tokens is the number of tokens the chunk carried when the engine says
	// (token ids or a count in the chunk); 0 when it does not say.
	Tokens int
}

// Response is what one request produced. It is filled in as far as the
// request got, also when Do returns an error.
type Response struct {
	// Start is when the request was handed to the transport (monotonic).
	Start time.Time
	// Chunks are the output-carrying events in arrival order. A
	// non-streamed response has one chunk holding the whole text.
	Chunks []Chunk
	// End is the time since Start at which the last byte was read.
	End          time.Duration
	Text         string
	Usage        *Usage // nil when the engine sent none
	FinishReason string
	// Timings holds engine-reported timings when the dialect sends them
	// (llama.cpp's "timings" object), keyed by the engine's own names.
	Timings map[string]float64
	// Status is the HTTP status code.
	Status int
}

// Client sends generation requests to one engine.
type Client interface {
	// Do sends req and waits for the whole response. The returned Response
	// is never nil; on error it holds what arrived before the failure.
	Do(ctx context.Context, req Request) (*Response, error)
}

// StatusError is an HTTP error status, with the engine's message when its
// body carried an OpenAI-style error object.
type StatusError struct {
	Code    int
	Type    string
	Message string
}

func (e *StatusError) Error() string {
	if e.Message == "" {
		return fmt.Sprintf("engine: HTTP %d", e.Code)
	}
	return fmt.Sprintf("engine: HTTP %d: %s", e.Code, e.Message)
}

// StreamError is an error object the engine sent inside a stream.
type StreamError struct {
	Type    string
	Message string
}

func (e *StreamError) Error() string {
	return fmt.Sprintf("engine: error in stream: %s", e.Message)
}
