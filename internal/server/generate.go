package server

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/muaibench/muaibench/internal/infer/sched"
)

// defaultCompletionTokens is OpenAI's max_tokens default for
// /v1/completions; chat defaults to the rest of the context.
const defaultCompletionTokens = 16

// job is one validated generation request: one sched.Request per choice.
type job struct {
	m            *model
	chat         bool
	id           string
	created      int64
	reqs         []sched.Request
	stream       bool
	includeUsage bool
	start        time.Time
}

func (s *Server) handleCompletions(w http.ResponseWriter, r *http.Request) {
	s.handleGenerate(w, r, false)
}

func (s *Server) handleChat(w http.ResponseWriter, r *http.Request) { s.handleGenerate(w, r, true) }

func (s *Server) handleGenerate(w http.ResponseWriter, r *http.Request, chat bool) {
	start := time.Now()
	j, err := s.parse(w, r, chat)
	if err != nil {
		var ae *apiError
		if !errors.As(err, &ae) {
			ae = &apiError{Status: http.StatusInternalServerError, Type: "server_error", Message: err.Error()}
		}
		s.log.Debug("request refused", "path", r.URL.Path, "status", ae.Status, "err", ae.Message)
		writeError(w, ae)
		return
	}
	j.start = start
	if !s.running.Load() {
		writeError(w, notRunning())
		return
	}
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel() // ends every choice's request when the handler returns
	chans := make([]<-chan sched.Event, len(j.reqs))
	for i, req := range j.reqs {
		ch, err := j.m.sched.Submit(ctx, req)
		if err != nil {
			writeError(w, schedError(err))
			return
		}
		chans[i] = ch
	}
	if j.stream {
		s.stream(ctx, w, j, chans)
		return
	}
	s.complete(w, j, chans)
}

// schedError maps a Submit or Event error to the client's error.
func schedError(err error) *apiError {
	switch {
	case errors.Is(err, sched.ErrInvalid):
		return badRequest("%s", err.Error())
	case errors.Is(err, sched.ErrStopped):
		return &apiError{Status: http.StatusServiceUnavailable, Type: "server_error", Message: err.Error()}
	}
	return &apiError{Status: http.StatusInternalServerError, Type: "server_error", Message: err.Error()}
}

// parse reads and validates the body into a job.
func (s *Server) parse(w http.ResponseWriter, r *http.Request, chat bool) (*job, error) {
	var req genRequest
	body := http.MaxBytesReader(w, r.Body, s.maxBody)
	if err := json.NewDecoder(body).Decode(&req); err != nil {
		var tooBig *http.MaxBytesError
		switch {
		case errors.As(err, &tooBig):
			return nil, &apiError{Status: http.StatusRequestEntityTooLarge, Type: "invalid_request_error",
				Message: "request body exceeds " + strconv.FormatInt(tooBig.Limit, 10) + " bytes"}
		case errors.Is(err, io.EOF):
			return nil, badRequest("request body is empty")
		}
		return nil, badRequest("request body is not valid JSON: %v", err)
	}
	m := s.models[req.Model]
	if m == nil {
		return nil, &apiError{Status: http.StatusNotFound, Type: "not_found_error",
			Message: "the model `" + req.Model + "` does not exist"}
	}
	w.Header().Set("X-Muaibench-Weights", m.info.Weights)

	var prompts [][]int
	if chat {
		text, err := chatPrompt(req.Messages)
		if err != nil {
			return nil, err
		}
		prompts = [][]int{m.tok.Encode(text)}
	} else {
		texts, ids, err := parsePrompt(req.Prompt)
		if err != nil {
			return nil, err
		}
		for _, t := range texts {
			prompts = append(prompts, m.tok.Encode(t))
		}
		prompts = append(prompts, ids...)
		if len(prompts) == 0 {
			return nil, badRequest("prompt must not be an empty list")
		}
	}
	ctxLen := m.info.Shape.Context
	for _, p := range prompts {
		switch {
		case len(p) == 0:
			return nil, badRequest("prompt must not be empty")
		case len(p) >= ctxLen:
			return nil, badRequest("this model's maximum context length is %d tokens, the prompt has %d", ctxLen, len(p))
		}
	}
	if req.N != nil && *req.N != 1 {
		return nil, badRequest("n must be 1, got %d", *req.N)
	}
	stop, err := parseStop(req.Stop)
	if err != nil {
		return nil, err
	}
	samp := sched.Sampling{Temperature: 1, TopP: 1, Seed: req.Seed}
	if req.Temperature != nil {
		samp.Temperature = *req.Temperature
	}
	if req.TopP != nil {
		samp.TopP = *req.TopP
	}
	if req.TopK != nil && *req.TopK > 0 { // vLLM's -1 and 0 both mean off
		samp.TopK = *req.TopK
	}
	switch {
	case samp.Temperature < 0 || samp.Temperature > 100:
		return nil, badRequest("temperature must be in [0, 100], got %g", samp.Temperature)
	case samp.TopP <= 0 || samp.TopP > 1:
		return nil, badRequest("top_p must be in (0, 1], got %g", samp.TopP)
	case req.MinTokens < 0:
		return nil, badRequest("min_tokens must be >= 0, got %d", req.MinTokens)
	}

	j := &job{
		m:       m,
		chat:    chat,
		created: time.Now().Unix(),
		stream:  req.Stream,
	}
	j.includeUsage = req.StreamOptions != nil && req.StreamOptions.IncludeUsage
	if chat {
		j.id = "chatcmpl-" + rand.Text()
	} else {
		j.id = "cmpl-" + rand.Text()
	}
	maxTok := req.MaxTokens
	if req.MaxCompletionTokens != nil {
		maxTok = req.MaxCompletionTokens
	}
	for _, p := range prompts {
		n := defaultCompletionTokens
		if chat {
			n = m.sched.MaxTokensFor(len(p))
			if n < 1 && maxTok == nil {
				return nil, badRequest("the prompt (%d tokens) leaves no room to generate in the KV cache", len(p))
			}
		}
		if maxTok != nil {
			n = *maxTok
		}
		switch {
		case n < 1:
			return nil, badRequest("max_tokens must be >= 1, got %d", n)
		case len(p)+n > ctxLen:
			return nil, badRequest("this model's maximum context length is %d tokens, but %d were requested (%d in the prompt, %d max_tokens)",
				ctxLen, len(p)+n, len(p), n)
		case req.MinTokens > n:
			return nil, badRequest("min_tokens (%d) must be <= max_tokens (%d)", req.MinTokens, n)
		}
		j.reqs = append(j.reqs, sched.Request{
			Prompt: p, MaxTokens: n, MinTokens: req.MinTokens,
			Sampling: samp, Stop: stop, IgnoreEOS: req.IgnoreEOS,
		})
	}
	return j, nil
}

// complete answers a non-streamed request once every choice is done.
func (s *Server) complete(w http.ResponseWriter, j *job, chans []<-chan sched.Event) {
	var u usage
	choices := make([]any, len(chans))
	for i, ch := range chans {
		var text []byte
		var finish string
		n := 0
		for ev := range ch {
			if ev.Err != nil {
				s.metrics.request(j, "error")
				writeError(w, schedError(ev.Err))
				return
			}
			if ev.Token >= 0 {
				n++
				if n == 1 && i == 0 {
					s.metrics.firstToken(j)
				}
			}
			text = append(text, ev.Text...)
			finish = ev.Finish
		}
		u.PromptTokens += len(j.reqs[i].Prompt)
		u.CompletionTokens += n
		s.metrics.request(j, finish)
		if j.chat {
			choices[i] = chatChoice{Index: i, Message: &chatOutMsg{Role: "assistant", Content: string(text)}, FinishReason: &finish}
		} else {
			choices[i] = completionChoice{Index: i, Text: string(text), FinishReason: &finish}
		}
	}
	u.TotalTokens = u.PromptTokens + u.CompletionTokens
	object := "text_completion"
	if j.chat {
		object = "chat.completion"
	}
	writeJSON(w, http.StatusOK, envelope{
		ID: j.id, Object: object, Created: j.created, Model: j.m.name, Choices: choices, Usage: &u,
	})
}
