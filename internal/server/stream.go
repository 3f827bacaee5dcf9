package server

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"sync"

	"github.com/muaibench/muaibench/internal/infer/sched"
)

// choiceEvent is one scheduler event of choice i.
type choiceEvent struct {
	i  int
	ev sched.Event
}

// merge returns the events of every choice on one channel, closed when
// all are done. The channel holds every event the choices can produce, so
// the forwarding goroutines end as soon as the scheduler closes their
// inputs, whether or not anyone reads.
func merge(j *job, chans []<-chan sched.Event) <-chan choiceEvent {
	total := 0
	for _, r := range j.reqs {
		total += r.MaxTokens + 1
	}
	out := make(chan choiceEvent, total)
	var wg sync.WaitGroup
	for i, ch := range chans {
		wg.Go(func() {
			for ev := range ch {
				out <- choiceEvent{i, ev}
			}
		})
	}
	go func() {
		wg.Wait()
		close(out)
	}()
	return out
}

// sseWriter writes server-sent events and flushes each one.
type sseWriter struct {
	w   http.ResponseWriter
	rc  *http.ResponseController
	buf []byte
	err error
}

func (s *sseWriter) event(v any) {
	if s.err != nil {
		return
	}
	s.buf = append(s.buf[:0], "data: "...)
	b, err := json.Marshal(v)
	if err != nil {
		s.err = err
		return
	}
	s.buf = append(s.buf, b...)
	s.buf = append(s.buf, "\n\n"...)
	s.write()
}

func (s *sseWriter) done() {
	if s.err != nil {
		return
	}
	s.buf = append(s.buf[:0], "data: [DONE]\n\n"...)
	s.write()
}

func (s *sseWriter) write() {
	if _, s.err = s.w.Write(s.buf); s.err == nil {
		s.err = s.rc.Flush()
	}
}

// stream answers a streamed request: one event per released piece of
// text, finish_reason on each choice's last event, usage when asked, then
// [DONE]. It returns as soon as the client goes away; the caller's cancel
// then ends the scheduler requests.
func (s *Server) stream(ctx context.Context, w http.ResponseWriter, j *job, chans []<-chan sched.Event) {
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	sw := &sseWriter{w: w, rc: http.NewResponseController(w)}

	object := "text_completion"
	if j.chat {
		object = "chat.completion.chunk"
		for i := range j.reqs {
			// vLLM's opening chunk: the role, no content.
			sw.event(envelope{ID: j.id, Object: object, Created: j.created, Model: j.m.name,
				Choices: []chatChoice{{Index: i, Delta: &chatDelta{Role: "assistant"}}}})
		}
	} else {
		sw.flush()
	}

	var u usage
	counts := make([]int, len(j.reqs))
	first := true
	for ce := range merge(j, chans) {
		if sw.err != nil || ctx.Err() != nil {
			s.metrics.request(j, "abort")
			return // client gone: the deferred cancel frees the blocks
		}
		ev := ce.ev
		if ev.Err != nil {
			if errors.Is(ev.Err, context.Canceled) {
				s.metrics.request(j, "abort")
				return
			}
			sw.event(schedError(ev.Err).body())
			sw.done()
			s.metrics.request(j, "error")
			return
		}
		if ev.Token >= 0 {
			counts[ce.i]++
			if first {
				first = false
				s.metrics.firstToken(j)
			}
		}
		if ev.Text == "" && ev.Finish == "" {
			continue // held back: nothing to send yet
		}
		var finish *string
		if ev.Finish != "" {
			finish = &ev.Finish
			u.PromptTokens += len(j.reqs[ce.i].Prompt)
			u.CompletionTokens += counts[ce.i]
			s.metrics.request(j, ev.Finish)
		}
		var choice any
		if j.chat {
			d := &chatDelta{}
			if ev.Text != "" {
				d.Content = &ev.Text
			}
			choice = []chatChoice{{Index: ce.i, Delta: d, FinishReason: finish}}
		} else {
			choice = []completionChoice{{Index: ce.i, Text: ev.Text, FinishReason: finish}}
		}
		sw.event(envelope{ID: j.id, Object: object, Created: j.created, Model: j.m.name, Choices: choice})
	}
	if j.includeUsage {
		u.TotalTokens = u.PromptTokens + u.CompletionTokens
		sw.event(envelope{ID: j.id, Object: object, Created: j.created, Model: j.m.name,
			Choices: []any{}, Usage: &u})
	}
	sw.done()
}

// flush sends the headers at once, so the client sees the stream open
// before the first token.
func (s *sseWriter) flush() {
	if s.err == nil {
		s.err = s.rc.Flush()
	}
}
