package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/muaibench/muaibench/internal/infer"
	"github.com/muaibench/muaibench/internal/infer/sched"
	"github.com/muaibench/muaibench/internal/tokenizer"
)

// ModelSpec is one model to serve.
type ModelSpec struct {
	// Name is what requests put in "model" ("gpt2").
	Name      string
	Model     infer.Model
	Tokenizer tokenizer.Tokenizer
}

// Options configures a Server.
type Options struct {
	// Models to serve; at least one. Requests route by name.
	Models []ModelSpec
	// Sched configures every model's scheduler (each model gets its own,
	// with its own KV pool). TokenBytes and OnStep are set by the server.
	Sched sched.Options
	// Log receives one line per request error and the server's life
	// events; nil discards.
	Log *slog.Logger
	// MaxBodyBytes caps a request body (default 2 MiB); larger gets 413.
	MaxBodyBytes int64
}

const defaultMaxBody = 2 << 20

// Server serves the OpenAI-compatible API over its models.
type Server struct {
	log     *slog.Logger
	models  map[string]*model
	order   []*model
	maxBody int64
	metrics *metrics
	mux     *http.ServeMux
	running atomic.Bool
	started atomic.Bool
}

// model is one served model and its scheduler.
type model struct {
	name    string
	info    infer.ModelInfo
	tok     tokenizer.Tokenizer
	sched   *sched.Scheduler
	created int64
}

// New builds a server over opts.Models. It starts nothing: call Run (or
// Serve, ListenAndServe) to run the schedulers.
func New(opts Options) (*Server, error) {
	if len(opts.Models) == 0 {
		return nil, errors.New("server: no models to serve")
	}
	s := &Server{
		log:     opts.Log,
		models:  make(map[string]*model, len(opts.Models)),
		maxBody: opts.MaxBodyBytes,
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.maxBody <= 0 {
		s.maxBody = defaultMaxBody
	}
	s.metrics = newMetrics(s)
	now := time.Now().Unix()
	for _, spec := range opts.Models {
		switch {
		case spec.Name == "":
			return nil, errors.New("server: a model has no name")
		case s.models[spec.Name] != nil:
			return nil, fmt.Errorf("server: model %q given twice", spec.Name)
		case spec.Model == nil || spec.Tokenizer == nil:
			return nil, fmt.Errorf("server: model %q needs a model and a tokenizer", spec.Name)
		}
		info := spec.Model.Info()
		if v := spec.Tokenizer.VocabSize(); v > info.Shape.Vocab {
			return nil, fmt.Errorf("server: model %q: tokenizer %s has %d ids, the model %d",
				spec.Name, spec.Tokenizer.Name(), v, info.Shape.Vocab)
		}
		so := opts.Sched
		so.TokenBytes = spec.Tokenizer.TokenBytes
		so.OnStep = s.metrics.stepObserver(spec.Name)
		m := &model{
			name:    spec.Name,
			info:    info,
			tok:     spec.Tokenizer,
			sched:   sched.New(spec.Model, so),
			created: now,
		}
		s.models[spec.Name] = m
		s.order = append(s.order, m)
	}
	s.mux = s.routes()
	return s, nil
}

func (s *Server) routes() *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/completions", s.handleCompletions)
	mux.HandleFunc("POST /v1/chat/completions", s.handleChat)
	mux.HandleFunc("GET /v1/models", s.handleModels)
	mux.HandleFunc("GET /health", s.handleHealth)
	mux.Handle("GET /metrics", s.metrics.handler())
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, &apiError{Status: http.StatusNotFound, Type: "not_found_error",
			Message: fmt.Sprintf("no route %s %s", r.Method, r.URL.Path)})
	})
	return mux
}

// Handler returns the server's HTTP handler. Generation requests get 503
// while Run is not running.
func (s *Server) Handler() http.Handler { return s.mux }

// Run runs every model's scheduler until ctx is done; requests still in
// flight then end with an error. It may be called once.
func (s *Server) Run(ctx context.Context) error {
	if !s.started.CompareAndSwap(false, true) {
		return errors.New("server: Run called twice")
	}
	var wg sync.WaitGroup
	for _, m := range s.order {
		wg.Go(func() { _ = m.sched.Run(ctx) })
	}
	s.running.Store(true)
	<-ctx.Done()
	s.running.Store(false)
	wg.Wait()
	return nil
}

// Serve runs the schedulers and serves HTTP on ln until ctx is done, then
// shuts down: requests in flight end, connections close.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	hs := &http.Server{Handler: s.Handler(), ReadHeaderTimeout: 10 * time.Second}
	runDone := make(chan struct{})
	go func() {
		defer close(runDone)
		_ = s.Run(ctx)
	}()
	serveErr := make(chan error, 1)
	go func() { serveErr <- hs.Serve(ln) }()
	for _, m := range s.order {
		s.log.Info("serving", "addr", ln.Addr().String(), "model", m.name,
			"weights", m.info.Weights, "kv_cache_bytes", m.sched.Pool().CapacityBytes(),
			"max_seqs", m.sched.Options().MaxSeqs)
	}
	var err error
	select {
	case <-ctx.Done():
	case err = <-serveErr:
	}
	// Stopping the schedulers ends every stream, so Shutdown need not
	// wait long for handlers.
	<-runDone
	shutCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if serr := hs.Shutdown(shutCtx); err == nil || errors.Is(err, http.ErrServerClosed) {
		err = serr
	}
	return err
}

// ListenAndServe listens on addr ("127.0.0.1:8000") and calls Serve.
func (s *Server) ListenAndServe(ctx context.Context, addr string) error {
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", addr)
	if err != nil {
		return fmt.Errorf("server: %w", err)
	}
	return s.Serve(ctx, ln)
}

// Stats returns each model's scheduler numbers, by model name.
func (s *Server) Stats() map[string]sched.Stats {
	out := make(map[string]sched.Stats, len(s.order))
	for _, m := range s.order {
		out[m.name] = m.sched.Stats()
	}
	return out
}
