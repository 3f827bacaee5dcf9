// Package enginetest provides a fake OpenAI-compatible inference engine for
// tests: an httptest server whose timing (time to first token, inter-token
// latency, tokens per chunk) and failures are set by the test, and which
// counts the requests it gets.
package enginetest

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// FailMode is a way for the fake engine to fail a generation request.
type FailMode int

// The failure modes.
const (
	FailNone      FailMode = iota
	FailStatus             // answer with Failure.Status and an OpenAI-style error body
	FailMidStream          // after Failure.AfterTokens tokens, send an error object in the stream
	FailReset              // after Failure.AfterTokens tokens, reset the connection
	FailMalformed          // after Failure.AfterTokens tokens, send a chunk that is not JSON
	FailNoDone             // end the stream without "data: [DONE]"
)

// Failure injects a failure into generation requests.
type Failure struct {
	Mode FailMode
	// Status is the HTTP status for FailStatus (default 500).
	Status int
	// Message is the error message (default "injected failure").
	Message string
	// AfterTokens is how many tokens are streamed before a mid-stream
	// failure.
	AfterTokens int
	// Every makes only every Every-th generation request fail (request 1
	// is the first); 0 or 1 fails them all.
	Every int
}

// Options sets the fake engine's behaviour. The zero value serves model
// "fake-model" as fast as it can, one token per chunk.
type Options struct {
	// Model is the served model id (default "fake-model").
	Model string
	// TTFT is the delay from receiving a request to its first token.
	TTFT time.Duration
	// ITL is the delay between consecutive chunks, counted from when the
	// previous chunk was sent.
	ITL time.Duration
	// TokensPerChunk is how many tokens each chunk carries (default 1).
	TokensPerChunk int
	// Token is the text of one token (default " tok").
	Token string
	// DefaultMaxTokens is the output length when a request has no
	// max_tokens (default 16).
	DefaultMaxTokens int
	// PromptTokens is the prompt_tokens reported in usage (default: the
	// prompt's length in bytes / 4, at least 1).
	PromptTokens int
	// NoRoleChunk leaves out the role-only first chunk of chat streams.
	NoRoleChunk bool
	// KeepAlive sends an SSE comment line before the first token.
	KeepAlive bool
	// Fail injects failures.
	Fail Failure
	// Sleep waits d or until ctx ends; nil means a timer. Tests that must
	// not wait inject their own.
	Sleep func(ctx context.Context, d time.Duration) error
}

// Server is a running fake engine.
type Server struct {
	*httptest.Server
	opts      Options
	gen       atomic.Int64
	models    atomic.Int64
	health    atomic.Int64
	mu        sync.Mutex
	lastBody  map[string]any
	lastAuth  string
	sendTimes []time.Duration

	compEvent, chatEvent []byte
}

// NewServer starts a fake engine and stops it when the test ends.
func NewServer(t testing.TB, opts Options) *Server {
	t.Helper()
	if opts.Model == "" {
		opts.Model = "fake-model"
	}
	if opts.TokensPerChunk <= 0 {
		opts.TokensPerChunk = 1
	}
	if opts.Token == "" {
		opts.Token = " tok"
	}
	if opts.DefaultMaxTokens <= 0 {
		opts.DefaultMaxTokens = 16
	}
	if opts.Fail.Status == 0 {
		opts.Fail.Status = http.StatusInternalServerError
	}
	if opts.Fail.Message == "" {
		opts.Fail.Message = "injected failure"
	}
	if opts.Sleep == nil {
		opts.Sleep = sleep
	}
	s := &Server{opts: opts, compEvent: buildEvent(opts, false, opts.TokensPerChunk), chatEvent: buildEvent(opts, true, opts.TokensPerChunk)}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/completions", func(w http.ResponseWriter, r *http.Request) { s.generate(w, r, false) })
	mux.HandleFunc("POST /v1/chat/completions", func(w http.ResponseWriter, r *http.Request) { s.generate(w, r, true) })
	mux.HandleFunc("GET /v1/models", s.serveModels)
	mux.HandleFunc("GET /health", func(w http.ResponseWriter, r *http.Request) {
		s.health.Add(1)
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"status":"ok"}`)
	})
	s.Server = httptest.NewServer(mux)
	t.Cleanup(s.Close)
	return s
}

func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// quote returns s as a JSON string.
func quote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// event returns the SSE event of one chunk carrying k tokens. The full-size
// event is built once; only a shorter last chunk is built per request.
func (s *Server) event(chat bool, k int) []byte {
	if k == s.opts.TokensPerChunk {
		if chat {
			return s.chatEvent
		}
		return s.compEvent
	}
	return buildEvent(s.opts, chat, k)
}

func buildEvent(o Options, chat bool, k int) []byte {
	text := quote(strings.Repeat(o.Token, k))
	if chat {
		return []byte(`data: {"id":"chatcmpl-fake","object":"chat.completion.chunk","created":0,"model":` + quote(o.Model) +
			`,"choices":[{"index":0,"delta":{"content":` + text + `},"finish_reason":null}]}` + "\n\n")
	}
	return []byte(`data: {"id":"cmpl-fake","object":"text_completion","created":0,"model":` + quote(o.Model) +
		`,"choices":[{"index":0,"text":` + text + `,"finish_reason":null}]}` + "\n\n")
}

// Requests returns how many generation requests (completions and chat)
// the server has received.
func (s *Server) Requests() int64 { return s.gen.Load() }

// ModelRequests returns how many GET /v1/models requests it has received.
func (s *Server) ModelRequests() int64 { return s.models.Load() }

// HealthRequests returns how many GET /health requests it has received.
func (s *Server) HealthRequests() int64 { return s.health.Load() }

// LastBody returns the JSON body of the last generation request, decoded.
func (s *Server) LastBody() map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lastBody
}

// SendTimes returns when the server began writing each token chunk of the
// last streamed response, as times since its request arrived: what a
// client's measurement can be checked against (a client cannot have read
// a chunk before its send time).
func (s *Server) SendTimes() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.sendTimes)
}

func (s *Server) setSendTimes(t []time.Duration) {
	s.mu.Lock()
	s.sendTimes = t
	s.mu.Unlock()
}

// LastAuthorization returns the Authorization header of the last
// generation request.
func (s *Server) LastAuthorization() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lastAuth
}

func (s *Server) serveModels(w http.ResponseWriter, r *http.Request) {
	s.models.Add(1)
	w.Header().Set("Content-Type", "application/json")
	fmt.Fprintf(w, `{"object":"list","data":[{"id":%s,"object":"model","created":0,"owned_by":"enginetest"}]}`, quote(s.opts.Model))
}

// genRequest is the part of a request body the fake engine obeys.
type genRequest struct {
	Prompt        prompts `json:"prompt"`
	MaxTokens     *int    `json:"max_tokens"`
	Stream        bool    `json:"stream"`
	StreamOptions *struct {
		IncludeUsage bool `json:"include_usage"`
	} `json:"stream_options"`
	Messages []struct {
		Content string `json:"content"`
	} `json:"messages"`
}

// prompts is a completions prompt: a string, or a list of strings that
// the fake engine answers as one stream of len(list)·max_tokens tokens.
type prompts struct {
	text string
	n    int
}

func (p *prompts) UnmarshalJSON(b []byte) error {
	var list []string
	if err := json.Unmarshal(b, &list); err == nil {
		p.text, p.n = strings.Join(list, ""), len(list)
		return nil
	}
	p.n = 1
	return json.Unmarshal(b, &p.text)
}

func writeError(w http.ResponseWriter, status int, typ, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	b, _ := json.Marshal(map[string]any{"error": map[string]any{"message": msg, "type": typ, "code": status}})
	w.Write(b)
}

func (s *Server) generate(w http.ResponseWriter, r *http.Request, chat bool) {
	n := s.gen.Add(1)
	arrived := time.Now()
	var raw map[string]any
	var req genRequest
	dec := json.NewDecoder(r.Body)
	dec.UseNumber()
	if err := dec.Decode(&raw); err != nil {
		writeError(w, http.StatusBadRequest, "invalid_request_error", "body: "+err.Error())
		return
	}
	b, _ := json.Marshal(raw)
	if err := json.Unmarshal(b, &req); err != nil {
		writeError(w, http.StatusBadRequest, "invalid_request_error", err.Error())
		return
	}
	s.mu.Lock()
	s.lastBody, s.lastAuth = raw, r.Header.Get("Authorization")
	s.mu.Unlock()

	fail := s.opts.Fail
	if fail.Every > 1 && n%int64(fail.Every) != 0 {
		fail.Mode = FailNone
	}
	if fail.Mode == FailStatus {
		writeError(w, fail.Status, "server_error", fail.Message)
		return
	}
	maxTokens := s.opts.DefaultMaxTokens
	if req.MaxTokens != nil {
		maxTokens = *req.MaxTokens
	}
	if maxTokens < 0 {
		writeError(w, http.StatusBadRequest, "invalid_request_error", "max_tokens must be at least 0")
		return
	}
	maxTokens *= max(1, req.Prompt.n)
	prompt := req.Prompt.text
	for _, m := range req.Messages {
		prompt += m.Content
	}
	promptTokens := s.opts.PromptTokens
	if promptTokens == 0 {
		promptTokens = max(1, len(prompt)/4)
	}
	g := &generation{s: s, chat: chat, maxTokens: maxTokens, promptTokens: promptTokens, fail: fail, arrived: arrived}
	if req.Stream {
		g.usage = req.StreamOptions != nil && req.StreamOptions.IncludeUsage
		g.stream(w, r)
		return
	}
	g.whole(w, r)
}

// generation is one request being answered.
type generation struct {
	s            *Server
	chat         bool
	maxTokens    int
	promptTokens int
	usage        bool
	fail         Failure
	arrived      time.Time
}

// waitUntil sleeps until at after the request arrived.
func (g *generation) waitUntil(ctx context.Context, at time.Duration) error {
	return g.s.opts.Sleep(ctx, at-time.Since(g.arrived))
}

func (g *generation) whole(w http.ResponseWriter, r *http.Request) {
	o := g.s.opts
	if err := g.waitUntil(r.Context(), o.TTFT+time.Duration(max(0, g.maxTokens-1))*o.ITL); err != nil {
		return
	}
	text := strings.Repeat(o.Token, g.maxTokens)
	w.Header().Set("Content-Type", "application/json")
	usage := fmt.Sprintf(`{"prompt_tokens":%d,"completion_tokens":%d,"total_tokens":%d}`, g.promptTokens, g.maxTokens, g.promptTokens+g.maxTokens)
	q := quote(text)
	if g.chat {
		fmt.Fprintf(w, `{"id":"chatcmpl-fake","object":"chat.completion","created":0,"model":%s,"choices":[{"index":0,"message":{"role":"assistant","content":%s},"finish_reason":"length"}],"usage":%s}`, quote(o.Model), q, usage)
		return
	}
	fmt.Fprintf(w, `{"id":"cmpl-fake","object":"text_completion","created":0,"model":%s,"choices":[{"index":0,"text":%s,"finish_reason":"length"}],"usage":%s}`, quote(o.Model), q, usage)
}

func (g *generation) stream(w http.ResponseWriter, r *http.Request) {
	o := g.s.opts
	ctx := r.Context()
	flusher, _ := w.(http.Flusher)
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	bw := bufio.NewWriterSize(w, 4096)
	// With no delays the whole answer is written at once (a zero-delay
	// engine); with delays every event is flushed when it is due.
	paced := o.TTFT > 0 || o.ITL > 0
	flush := func() {
		bw.Flush()
		if flusher != nil {
			flusher.Flush()
		}
	}
	if g.chat && !o.NoRoleChunk {
		fmt.Fprintf(bw, "data: {\"id\":\"chatcmpl-fake\",\"object\":\"chat.completion.chunk\",\"created\":0,\"model\":%s,\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"},\"finish_reason\":null}]}\n\n", quote(o.Model))
	}
	if o.KeepAlive {
		bw.WriteString(": keep-alive\n\n")
	}
	if paced {
		flush()
	}
	sent, events := 0, 0
	sentAt := make([]time.Duration, 0, g.maxTokens)
	for sent < g.maxTokens {
		if g.fail.Mode >= FailMidStream && g.fail.Mode <= FailMalformed && sent >= g.fail.AfterTokens {
			g.failStream(w, bw, flush)
			return
		}
		if paced {
			// The first chunk is due TTFT after the request arrived; each
			// later one ITL after the previous one was actually sent, so
			// a server that was held up does not catch up in a burst.
			due := o.TTFT
			if events > 0 {
				due = sentAt[events-1] + o.ITL
			}
			if err := g.waitUntil(ctx, due); err != nil {
				return
			}
		}
		// Noted before the write, so a client can never read the chunk
		// earlier than this time.
		sentAt = append(sentAt, time.Since(g.arrived))
		g.s.setSendTimes(sentAt)
		k := min(o.TokensPerChunk, g.maxTokens-sent)
		bw.Write(g.s.event(g.chat, k))
		if paced {
			flush()
		}
		sent += k
		events++
	}
	if g.fail.Mode >= FailMidStream && g.fail.Mode <= FailMalformed {
		g.failStream(w, bw, flush)
		return
	}
	usage := fmt.Sprintf(`{"prompt_tokens":%d,"completion_tokens":%d,"total_tokens":%d}`, g.promptTokens, sent, g.promptTokens+sent)
	if g.chat {
		fmt.Fprintf(bw, "data: {\"id\":\"chatcmpl-fake\",\"object\":\"chat.completion.chunk\",\"created\":0,\"model\":%s,\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"length\"}]}\n\n", quote(o.Model))
	} else {
		fmt.Fprintf(bw, "data: {\"id\":\"cmpl-fake\",\"object\":\"text_completion\",\"created\":0,\"model\":%s,\"choices\":[{\"index\":0,\"text\":\"\",\"finish_reason\":\"length\"}]}\n\n", quote(o.Model))
	}
	if g.usage {
		fmt.Fprintf(bw, "data: {\"id\":\"fake\",\"object\":\"%s\",\"created\":0,\"model\":%s,\"choices\":[],\"usage\":%s}\n\n", objectName(g.chat), quote(o.Model), usage)
	}
	if g.fail.Mode != FailNoDone {
		bw.WriteString("data: [DONE]\n\n")
	}
	flush()
}

func objectName(chat bool) string {
	if chat {
		return "chat.completion.chunk"
	}
	return "text_completion"
}

// failStream ends a stream with the injected mid-stream failure.
func (g *generation) failStream(w http.ResponseWriter, bw *bufio.Writer, flush func()) {
	switch g.fail.Mode {
	case FailMidStream:
		b, _ := json.Marshal(map[string]any{"error": map[string]any{"message": g.fail.Message, "type": "server_error", "code": g.fail.Status}})
		fmt.Fprintf(bw, "data: %s\n\n", b)
		flush()
	case FailMalformed:
		bw.WriteString("data: {\"choices\":[{\"text\":\"oops\n\n")
		flush()
	case FailReset:
		flush()
		rc := http.NewResponseController(w)
		conn, _, err := rc.Hijack()
		if err != nil {
			return
		}
		if tc, ok := conn.(*net.TCPConn); ok {
			tc.SetLinger(0) // close with RST
		}
		conn.Close()
	}
}
