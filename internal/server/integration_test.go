package server

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/muaibench/muaibench/internal/engine"
	"github.com/muaibench/muaibench/internal/infer/sched"
)

// tinyServer serves the real GPT-2 code on the "tiny" shape with
// synthetic weights, and the real GPT-2 tokenizer.
func tinyServer(t *testing.T, so sched.Options) *testServer {
	t.Helper()
	m, tok := gpt2Tiny(t)
	return startServer(t, Options{Models: []ModelSpec{{Name: "gpt2-tiny", Model: m, Tokenizer: tok}}, Sched: so})
}

func TestGPT2TinyStreamMatchesNonStream(t *testing.T) {
	t.Parallel()
	s := tinyServer(t, sched.Options{})
	req := map[string]any{"model": "gpt2-tiny", "prompt": "Hello world", "max_tokens": 12,
		"temperature": 0, "ignore_eos": true}
	r := post(t, s.url+"/v1/completions", req)
	c := decodeChunk(t, string(r.body))
	if r.status != 200 || c.Usage == nil || *c.Usage != (usage{2, 12, 14}) {
		t.Fatalf("non-stream: %d %s", r.status, r.body)
	}
	want := c.Choices[0].Text

	req["stream"] = true
	req["stream_options"] = map[string]bool{"include_usage": true}
	r = post(t, s.url+"/v1/completions", req)
	var got string
	var u *usage
	data := sseData(t, r.body)
	for _, d := range data[:len(data)-1] {
		c := decodeChunk(t, d)
		for _, ch := range c.Choices {
			got += ch.Text
		}
		if c.Usage != nil {
			u = c.Usage
		}
	}
	if got != want || u == nil || *u != (usage{2, 12, 14}) {
		t.Errorf("stream: got %q, usage %+v; want %q, 2+12", got, u, want)
	}
}

// TestGPT2TinyBatchedEqualsUnbatched sends the same requests to a
// batching and a non-batching server, concurrently, and wants the same
// text from both. Greedy only: the real model's logits move by about 1e-7
// with the batch's composition (see package sched's
// TestTinyBatchedEqualsUnbatched), which could flip a seeded draw.
func TestGPT2TinyBatchedEqualsUnbatched(t *testing.T) {
	t.Parallel()
	run := func(so sched.Options) []string {
		s := tinyServer(t, so)
		out := make([]string, 6)
		var wg sync.WaitGroup
		for i := range out {
			wg.Go(func() {
				r := post(t, s.url+"/v1/completions", map[string]any{
					"model": "gpt2-tiny", "prompt": fmt.Sprintf("Request %d says%s", i, " more"[:i%5]),
					"max_tokens": 4 + 2*i, "temperature": 0, "ignore_eos": true,
				})
				out[i] = decodeChunk(t, string(r.body)).Choices[0].Text
			})
		}
		wg.Wait()
		return out
	}
	batched := run(sched.Options{})
	single := run(sched.Options{NoBatching: true})
	if diff := cmp.Diff(single, batched); diff != "" {
		t.Errorf("batched differs from unbatched (-unbatched +batched):\n%s", diff)
	}
}

func TestEngineClient(t *testing.T) {
	t.Parallel()
	s := tinyServer(t, sched.Options{})
	c := engine.NewOpenAI(engine.OpenAIOptions{BaseURL: s.url, Dialect: engine.DialectVLLM})
	for _, api := range []engine.API{engine.APICompletions, engine.APIChat} {
		for _, stream := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s stream %v", api, stream), func(t *testing.T) {
				req := engine.Request{API: api, Model: "gpt2-tiny", MaxTokens: 10, IgnoreEOS: true, Stream: stream}
				if api == engine.APIChat {
					req.Messages = []engine.Message{{Role: "user", Content: "Say something"}}
				} else {
					req.Prompt = "Say something"
				}
				resp, err := c.Do(context.Background(), req)
				if err != nil {
					t.Fatal(err)
				}
				if resp.Status != 200 || resp.FinishReason != "length" || len(resp.Chunks) == 0 {
					t.Errorf("got status %d, finish %q, %d chunks", resp.Status, resp.FinishReason, len(resp.Chunks))
				}
				if resp.Usage == nil || resp.Usage.CompletionTokens != 10 {
					t.Errorf("usage: got %+v, want 10 completion tokens", resp.Usage)
				}
			})
		}
	}
	// An error comes back as the client's StatusError.
	_, err := c.Do(context.Background(), engine.Request{API: engine.APICompletions, Model: "nope", Prompt: "x", MaxTokens: 1})
	var se *engine.StatusError
	if !asStatus(err, &se) || se.Code != 404 {
		t.Errorf("unknown model: got %v, want a 404 StatusError", err)
	}
}
