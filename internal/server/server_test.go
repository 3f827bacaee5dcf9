package server

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/muaibench/muaibench/internal/infer/sched"
	"github.com/muaibench/muaibench/internal/infer/sched/schedtest"
)

func TestBadInput(t *testing.T) {
	t.Parallel()
	s := fakeServer(t, sched.Options{})
	huge := `{"model":"fake","prompt":"` + strings.Repeat("a", 10<<20) + `"}`
	tests := []struct {
		name   string
		path   string
		body   string
		status int
		want   string // in the message
	}{
		{"malformed json", "/v1/completions", `{"model":"fake","prompt":`, 400, "JSON"},
		{"not an object", "/v1/completions", `[1,2]`, 400, "JSON"},
		{"empty body", "/v1/completions", ``, 400, "empty"},
		{"unknown model", "/v1/completions", `{"model":"gpt5","prompt":"hi"}`, 404, "gpt5"},
		{"prompt longer than context", "/v1/completions", `{"model":"fake","prompt":"` + strings.Repeat("a", 64) + `"}`, 400, "context length"},
		{"prompt plus max_tokens", "/v1/completions", `{"model":"fake","prompt":"` + strings.Repeat("a", 50) + `","max_tokens":20}`, 400, "context length"},
		{"max_tokens zero", "/v1/completions", `{"model":"fake","prompt":"hi","max_tokens":0}`, 400, "max_tokens"},
		{"max_tokens negative", "/v1/completions", `{"model":"fake","prompt":"hi","max_tokens":-3}`, 400, "max_tokens"},
		{"negative temperature", "/v1/completions", `{"model":"fake","prompt":"hi","temperature":-0.5}`, 400, "temperature"},
		{"top_p zero", "/v1/completions", `{"model":"fake","prompt":"hi","top_p":0}`, 400, "top_p"},
		{"empty prompt", "/v1/completions", `{"model":"fake","prompt":""}`, 400, "empty"},
		{"empty prompt list", "/v1/completions", `{"model":"fake","prompt":[]}`, 400, "empty"},
		{"missing prompt", "/v1/completions", `{"model":"fake"}`, 400, "prompt"},
		{"prompt of wrong type", "/v1/completions", `{"model":"fake","prompt":{"a":1}}`, 400, "prompt"},
		{"token out of vocabulary", "/v1/completions", `{"model":"fake","prompt":[1,99999]}`, 400, "vocabulary"},
		{"n above one", "/v1/completions", `{"model":"fake","prompt":"hi","n":2}`, 400, "n must be 1"},
		{"stop of wrong type", "/v1/completions", `{"model":"fake","prompt":"hi","stop":5}`, 400, "stop"},
		{"min_tokens above max_tokens", "/v1/completions", `{"model":"fake","prompt":"hi","max_tokens":2,"min_tokens":3}`, 400, "min_tokens"},
		{"10 MB body", "/v1/completions", huge, 413, "exceeds"},
		{"chat without messages", "/v1/chat/completions", `{"model":"fake","messages":[]}`, 400, "messages"},
		{"chat without role", "/v1/chat/completions", `{"model":"fake","messages":[{"content":"hi"}]}`, 400, "role"},
		{"chat image part", "/v1/chat/completions", `{"model":"fake","messages":[{"role":"user","content":[{"type":"image_url"}]}]}`, 400, "image_url"},
		{"unknown route", "/v1/embeddings", `{}`, 404, "no route"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := post(t, s.url+tt.path, tt.body)
			if r.status != tt.status {
				t.Fatalf("status: got %d, want %d (body %s)", r.status, tt.status, r.body)
			}
			var e errorBody
			if err := json.Unmarshal(r.body, &e); err != nil {
				t.Fatalf("error body %q: %v", r.body, err)
			}
			if e.Error.Code != tt.status || e.Error.Type == "" || !strings.Contains(e.Error.Message, tt.want) {
				t.Errorf("error: got %+v, want code %d and a message with %q", e.Error, tt.status, tt.want)
			}
		})
	}
	// Nothing refused may hold the scheduler.
	st := s.Stats()["fake"]
	if st.Running != 0 || st.Waiting != 0 || st.KVUsedBytes != 0 {
		t.Errorf("after refusals: %+v", st)
	}
}

func TestUnknownFieldsIgnored(t *testing.T) {
	t.Parallel()
	s := fakeServer(t, sched.Options{})
	r := post(t, s.url+"/v1/completions", `{"model":"fake","prompt":"hi","max_tokens":2,"frobnicate":{"x":[1]},"logit_bias":{}}`)
	if r.status != http.StatusOK {
		t.Fatalf("status %d: %s", r.status, r.body)
	}
}

func strp(s string) *string { return &s }

func TestCompletionNonStream(t *testing.T) {
	t.Parallel()
	s := fakeServer(t, sched.Options{})
	r := post(t, s.url+"/v1/completions", map[string]any{
		"model": "fake", "prompt": "hello", "max_tokens": 5, "temperature": 0,
	})
	if r.status != http.StatusOK {
		t.Fatalf("status %d: %s", r.status, r.body)
	}
	if got := r.header.Get("X-Muaibench-Weights"); got != "synthetic" {
		t.Errorf("X-Muaibench-Weights: got %q, want synthetic", got)
	}
	c := decodeChunk(t, string(r.body))
	if c.Object != "text_completion" || !strings.HasPrefix(c.ID, "cmpl-") || c.Model != "fake" {
		t.Errorf("envelope: got %+v", c)
	}
	// "hello" is 5 tokens, so the alphabet model continues f, g, h, i, j.
	if len(c.Choices) != 1 || c.Choices[0].Text != "fghij" || *c.Choices[0].FinishReason != "length" {
		t.Errorf("choices: got %+v, want text fghij, finish length", c.Choices)
	}
	if diff := cmp.Diff(&usage{5, 5, 10}, c.Usage); diff != "" {
		t.Errorf("usage (-want +got):\n%s", diff)
	}
}

func TestCompletionStream(t *testing.T) {
	t.Parallel()
	s := fakeServer(t, sched.Options{})
	for _, withUsage := range []bool{false, true} {
		req := map[string]any{"model": "fake", "prompt": "hello", "max_tokens": 4, "stream": true}
		if withUsage {
			req["stream_options"] = map[string]any{"include_usage": true}
		}
		r := post(t, s.url+"/v1/completions", req)
		if r.status != http.StatusOK || !strings.HasPrefix(r.header.Get("Content-Type"), "text/event-stream") {
			t.Fatalf("status %d, content type %q", r.status, r.header.Get("Content-Type"))
		}
		data := sseData(t, r.body)
		want := 4 + 1 // one event per token, [DONE]
		if withUsage {
			want++
		}
		if len(data) != want || data[len(data)-1] != "[DONE]" {
			t.Fatalf("include_usage %v: got events %q, want %d ending in [DONE]", withUsage, data, want)
		}
		var text string
		for i, d := range data[:4] {
			c := decodeChunk(t, d)
			if len(c.Choices) != 1 || c.Object != "text_completion" || c.Usage != nil {
				t.Fatalf("event %d: got %s", i, d)
			}
			text += c.Choices[0].Text
			fr := c.Choices[0].FinishReason
			if (i == 3) != (fr != nil) || (fr != nil && *fr != "length") {
				t.Errorf("event %d: finish_reason %v", i, fr)
			}
		}
		if text != "fghi" {
			t.Errorf("text: got %q, want fghi", text)
		}
		if withUsage {
			c := decodeChunk(t, data[4])
			if c.Choices == nil || len(c.Choices) != 0 || !strings.Contains(data[4], `"choices":[]`) {
				t.Errorf("usage event must have choices: [], got %s", data[4])
			}
			if diff := cmp.Diff(&usage{5, 4, 9}, c.Usage); diff != "" {
				t.Errorf("usage (-want +got):\n%s", diff)
			}
		}
	}
}

func TestChat(t *testing.T) {
	t.Parallel()
	s := fakeServer(t, sched.Options{})
	msgs := []map[string]any{
		{"role": "system", "content": "be"},
		{"role": "user", "content": []map[string]string{{"type": "text", "text": "hi"}}},
	}
	// "system: be\nuser: hi\nassistant:" is 30 tokens: the model goes on
	// with 'a'+30%26 = 'e'.
	prompt := len("system: be\nuser: hi\nassistant:")

	r := post(t, s.url+"/v1/chat/completions", map[string]any{"model": "fake", "messages": msgs, "max_tokens": 3})
	c := decodeChunk(t, string(r.body))
	if r.status != 200 || c.Object != "chat.completion" || !strings.HasPrefix(c.ID, "chatcmpl-") {
		t.Fatalf("status %d: %s", r.status, r.body)
	}
	if m := c.Choices[0].Message; m == nil || m.Role != "assistant" || m.Content != "efg" {
		t.Errorf("message: got %+v, want assistant efg", m)
	}
	if diff := cmp.Diff(&usage{prompt, 3, prompt + 3}, c.Usage); diff != "" {
		t.Errorf("usage (-want +got):\n%s", diff)
	}

	r = post(t, s.url+"/v1/chat/completions", map[string]any{"model": "fake", "messages": msgs, "max_tokens": 3,
		"stream": true, "stream_options": map[string]bool{"include_usage": true}})
	data := sseData(t, r.body)
	if len(data) != 6 || data[5] != "[DONE]" {
		t.Fatalf("got events %q, want role, 3 tokens, usage, [DONE]", data)
	}
	first := decodeChunk(t, data[0])
	if diff := cmp.Diff(map[string]any{"role": "assistant"}, first.Choices[0].Delta); diff != "" || first.Object != "chat.completion.chunk" {
		t.Errorf("first chunk must carry the role only (-want +got):\n%s", diff)
	}
	var text string
	for _, d := range data[1:4] {
		c := decodeChunk(t, d)
		if _, ok := c.Choices[0].Delta["role"]; ok {
			t.Errorf("role repeated in %s", d)
		}
		text += c.Choices[0].Delta["content"].(string)
	}
	last := decodeChunk(t, data[3])
	if text != "efg" || last.Choices[0].FinishReason == nil || *last.Choices[0].FinishReason != "length" {
		t.Errorf("got %q, finish %v; want efg, length", text, last.Choices[0].FinishReason)
	}
	if u := decodeChunk(t, data[4]).Usage; u == nil || *u != (usage{prompt, 3, prompt + 3}) {
		t.Errorf("usage: got %+v", u)
	}
}

func TestStopEOSAndBatch(t *testing.T) {
	t.Parallel()
	// A model that says "hi é" then EOS, then "!" forever.
	script := []int{'h', 'i', ' ', 0xC3, 0xA9, 256}
	m := schedtest.NewModel(257, 64)
	m.EOS = 256
	m.Next = func(hist []int, out []float32) {
		clear(out)
		n := len(hist) - 1 // one-token prompts
		next := int('!')
		if n < len(script) {
			next = script[n]
		}
		out[next] = 100
		out['!'] = max(out['!'], 50) // the runner-up when EOS is masked
	}
	s := startServer(t, Options{Models: []ModelSpec{{Name: "m", Model: m, Tokenizer: schedtest.Tokenizer{}}}})
	tests := []struct {
		name       string
		req        map[string]any
		wantText   string
		wantFinish string
		wantTokens int
	}{
		{"eos", map[string]any{"max_tokens": 20}, "hi é", "stop", 6},
		{"ignore eos", map[string]any{"max_tokens": 8, "ignore_eos": true}, "hi é!!", "length", 8},
		{"stop string", map[string]any{"max_tokens": 20, "stop": "i "}, "h", "stop", 3},
		{"stop list", map[string]any{"max_tokens": 20, "stop": []string{"zz", "é"}}, "hi ", "stop", 5},
		{"min tokens", map[string]any{"max_tokens": 7, "min_tokens": 7}, "hi é!!", "length", 7},
	}
	for _, tt := range tests {
		for _, stream := range []bool{false, true} {
			t.Run(tt.name, func(t *testing.T) {
				req := map[string]any{"model": "m", "prompt": ">", "stream": stream, "temperature": 0,
					"stream_options": map[string]bool{"include_usage": true}}
				for k, v := range tt.req {
					req[k] = v
				}
				r := post(t, s.url+"/v1/completions", req)
				var text, finish string
				var u *usage
				if stream {
					for _, d := range sseData(t, r.body) {
						if d == "[DONE]" {
							break
						}
						c := decodeChunk(t, d)
						for _, ch := range c.Choices {
							if strings.ContainsRune(ch.Text, '\uFFFD') {
								t.Errorf("event with a split character: %q", ch.Text)
							}
							text += ch.Text
							if ch.FinishReason != nil {
								finish = *ch.FinishReason
							}
						}
						if c.Usage != nil {
							u = c.Usage
						}
					}
				} else {
					c := decodeChunk(t, string(r.body))
					text, finish, u = c.Choices[0].Text, *c.Choices[0].FinishReason, c.Usage
				}
				if text != tt.wantText || finish != tt.wantFinish || u == nil || u.CompletionTokens != tt.wantTokens {
					t.Errorf("stream %v: got %q, %q, usage %+v; want %q, %q, %d tokens",
						stream, text, finish, u, tt.wantText, tt.wantFinish, tt.wantTokens)
				}
			})
		}
	}

	t.Run("batch of prompts", func(t *testing.T) {
		r := post(t, s.url+"/v1/completions", map[string]any{"model": "m", "prompt": []string{">", "<"}, "max_tokens": 2})
		c := decodeChunk(t, string(r.body))
		if len(c.Choices) != 2 || c.Choices[0].Index != 0 || c.Choices[1].Index != 1 ||
			c.Choices[0].Text != "hi" || c.Choices[1].Text != "hi" {
			t.Fatalf("got %s", r.body)
		}
		if *c.Usage != (usage{2, 4, 6}) {
			t.Errorf("usage: got %+v, want 2, 4, 6", *c.Usage)
		}
	})
	t.Run("token ids", func(t *testing.T) {
		r := post(t, s.url+"/v1/completions", map[string]any{"model": "m", "prompt": [][]int{{62}, {60}}, "max_tokens": 1, "stream": true})
		data := sseData(t, r.body)
		if len(data) != 3 || data[2] != "[DONE]" {
			t.Fatalf("got %q", data)
		}
		seen := map[int]bool{}
		for _, d := range data[:2] {
			seen[decodeChunk(t, d).Choices[0].Index] = true
		}
		if !seen[0] || !seen[1] {
			t.Errorf("choices seen: %v, want 0 and 1", seen)
		}
	})
}

func TestModelsHealthMetrics(t *testing.T) {
	t.Parallel()
	s := fakeServer(t, sched.Options{MaxSeqs: 4, NoBatching: true})
	post(t, s.url+"/v1/completions", map[string]any{"model": "fake", "prompt": "abc", "max_tokens": 3})

	r := get(t, s.url+"/v1/models")
	var models struct {
		Object string       `json:"object"`
		Data   []modelEntry `json:"data"`
	}
	if err := json.Unmarshal(r.body, &models); err != nil || r.status != 200 {
		t.Fatalf("models: %d %s", r.status, r.body)
	}
	if len(models.Data) != 1 || models.Data[0].ID != "fake" || models.Data[0].MaxModelLen != 64 {
		t.Fatalf("models: got %s", r.body)
	}
	card := models.Data[0].Card
	if card.Weights != "synthetic" || card.Quantization != "fp32" || card.KVCacheDtype != "fp32" || card.Tokenizer != "bytes" ||
		card.MaxSeqs != 1 || card.Batching || card.KVCacheBytes <= 0 || card.Shape.Vocab != 257 {
		t.Errorf("card: got %+v", card)
	}

	if r := get(t, s.url+"/health"); r.status != 200 || strings.TrimSpace(string(r.body)) != `{"status":"ok"}` {
		t.Errorf("health: %d %s", r.status, r.body)
	}

	r = get(t, s.url+"/metrics")
	text := string(r.body)
	for _, want := range []string{
		`muaibench_requests_running{model="fake"} 0`,
		`muaibench_requests_waiting{model="fake"} 0`,
		`muaibench_prompt_tokens_total{model="fake"} 3`,
		`muaibench_generation_tokens_total{model="fake"} 3`,
		`muaibench_step_seconds_count{model="fake"} 3`,
		`muaibench_kv_cache_bytes_used{model="fake"} 0`,
		`muaibench_kv_cache_bytes_reserved_total{model="fake"} `,
		`muaibench_kv_cache_bytes_capacity{model="fake"} `,
		`muaibench_kv_cache_usage_ratio{model="fake"} 0`,
		`muaibench_batch_size_bucket{model="fake",le="1"} 3`,
		`muaibench_requests_total{finished_reason="length",model="fake"} 1`,
		`muaibench_time_to_first_token_seconds_count{model="fake"} 1`,
		"go_goroutines ",
		"process_resident_memory_bytes ",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("metrics lack %q", want)
		}
	}
}

func TestNotRunning(t *testing.T) {
	t.Parallel()
	s, err := New(Options{Models: []ModelSpec{{Name: "fake", Model: alphabet(64), Tokenizer: schedtest.Tokenizer{}}}})
	if err != nil {
		t.Fatal(err)
	}
	h := s.Handler()
	for _, path := range []string{"/health", "/v1/completions"} {
		rec := httptest.NewRecorder()
		req, _ := http.NewRequest(http.MethodPost, path, strings.NewReader(`{"model":"fake","prompt":"a"}`))
		if path == "/health" {
			req.Method = http.MethodGet
		}
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusServiceUnavailable {
			t.Errorf("%s before Run: got %d, want 503", path, rec.Code)
		}
	}
}

func TestNewRefuses(t *testing.T) {
	t.Parallel()
	ok := ModelSpec{Name: "a", Model: alphabet(64), Tokenizer: schedtest.Tokenizer{}}
	tests := []struct {
		name string
		opts Options
	}{
		{"no models", Options{}},
		{"no name", Options{Models: []ModelSpec{{Model: ok.Model, Tokenizer: ok.Tokenizer}}}},
		{"twice", Options{Models: []ModelSpec{ok, ok}}},
		{"no tokenizer", Options{Models: []ModelSpec{{Name: "a", Model: ok.Model}}}},
		{"vocab too small", Options{Models: []ModelSpec{{Name: "a", Model: schedtest.NewModel(100, 64), Tokenizer: schedtest.Tokenizer{}}}}},
	}
	for _, tt := range tests {
		if _, err := New(tt.opts); err == nil {
			t.Errorf("%s: New accepted it", tt.name)
		}
	}
}
