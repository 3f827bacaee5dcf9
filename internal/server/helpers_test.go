package server

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/muaibench/muaibench/internal/engine"
	"github.com/muaibench/muaibench/internal/infer"
	"github.com/muaibench/muaibench/internal/infer/sched"
	"github.com/muaibench/muaibench/internal/infer/sched/schedtest"
	"github.com/muaibench/muaibench/internal/tokenizer"
)

// alphabet is a fake model that continues any history with the letter
// after its length: after n tokens comes 'a'+n%26.
func alphabet(ctx int) *schedtest.Model {
	m := schedtest.NewModel(257, ctx)
	m.Next = func(hist []int, out []float32) {
		clear(out)
		out['a'+len(hist)%26] = 100 // certain even at temperature 1
	}
	return m
}

// testServer serves models on a loopback httptest server while the test
// runs.
type testServer struct {
	*Server
	ts  *httptest.Server
	url string
}

func startServer(t *testing.T, opts Options) *testServer {
	t.Helper()
	s, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = s.Run(ctx)
	}()
	ts := httptest.NewServer(s.Handler())
	t.Cleanup(func() {
		cancel()
		<-done
		ts.Close()
	})
	waitFor(t, "the schedulers to run", func() bool { return s.running.Load() })
	return &testServer{Server: s, ts: ts, url: ts.URL}
}

// fakeServer serves the alphabet model as "fake".
func fakeServer(t *testing.T, so sched.Options) *testServer {
	t.Helper()
	return startServer(t, Options{
		Models: []ModelSpec{{Name: "fake", Model: alphabet(64), Tokenizer: schedtest.Tokenizer{}}},
		Sched:  so,
	})
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

type reply struct {
	status int
	header http.Header
	body   []byte
}

func post(t *testing.T, url string, body any) reply {
	t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		js, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(js)
	}
	resp, err := http.Post(url, "application/json", rd)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return reply{resp.StatusCode, resp.Header, data}
}

func get(t *testing.T, url string) reply {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return reply{resp.StatusCode, resp.Header, data}
}

// sseData returns the payload of every "data:" line of an SSE body, and
// fails on any other non-empty line.
func sseData(t *testing.T, body []byte) []string {
	t.Helper()
	var out []string
	sc := bufio.NewScanner(bytes.NewReader(body))
	for sc.Scan() {
		line := sc.Text()
		if line == "" {
			continue
		}
		data, ok := strings.CutPrefix(line, "data: ")
		if !ok {
			t.Fatalf("SSE line without data: %q", line)
		}
		out = append(out, data)
	}
	return out
}

// chunk is the union of the response shapes the tests read.
type chunk struct {
	ID      string `json:"id"`
	Object  string `json:"object"`
	Model   string `json:"model"`
	Choices []struct {
		Index        int     `json:"index"`
		Text         string  `json:"text"`
		FinishReason *string `json:"finish_reason"`
		Message      *struct {
			Role    string `json:"role"`
			Content string `json:"content"`
		} `json:"message"`
		Delta map[string]any `json:"delta"`
	} `json:"choices"`
	Usage *usage `json:"usage"`
}

func decodeChunk(t *testing.T, s string) chunk {
	t.Helper()
	var c chunk
	if err := json.Unmarshal([]byte(s), &c); err != nil {
		t.Fatalf("chunk %q: %v", s, err)
	}
	return c
}

// gpt2Tiny returns the real GPT-2 "tiny" shape with synthetic weights and
// the real GPT-2 tokenizer.
func gpt2Tiny(t *testing.T) (infer.Model, tokenizer.Tokenizer) {
	t.Helper()
	shape, err := infer.ShapeByName("tiny")
	if err != nil {
		t.Fatal(err)
	}
	m, err := infer.NewSynthetic(shape, 1)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := tokenizer.GPT2()
	if err != nil {
		t.Fatal(err)
	}
	return m, tok
}

func asStatus(err error, target **engine.StatusError) bool { return errors.As(err, target) }
