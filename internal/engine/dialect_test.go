package engine_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/muaibench/muaibench/internal/engine"
	"github.com/muaibench/muaibench/internal/engine/enginetest"
)

func TestRequestBody(t *testing.T) {
	t.Parallel()
	seed := int64(7)
	tests := []struct {
		dialect engine.Dialect
		req     engine.Request
		want    map[string]any // fields that must be there, with their JSON values
		absent  []string
	}{
		{engine.DialectVLLM, engine.Request{API: engine.APICompletions, Model: "m", Prompt: "p", MaxTokens: 9, MinTokens: 9, IgnoreEOS: true, Stream: true, Seed: &seed},
			map[string]any{"model": "m", "prompt": "p", "max_tokens": "9", "min_tokens": "9", "ignore_eos": true, "stream": true, "seed": "7",
				"stream_options": map[string]any{"include_usage": true}, "temperature": "0"}, nil},
		{engine.DialectSGLang, engine.Request{Model: "m", MaxTokens: 4, IgnoreEOS: true}, map[string]any{"ignore_eos": true, "stream": false}, []string{"min_tokens", "stream_options"}},
		{engine.DialectLlamaCpp, engine.Request{Model: "m", MaxTokens: 4, MinTokens: 4, IgnoreEOS: true}, map[string]any{"ignore_eos": true}, []string{"min_tokens"}},
		{engine.DialectOllama, engine.Request{Model: "m", MaxTokens: 4, MinTokens: 4, IgnoreEOS: true}, nil, []string{"ignore_eos", "min_tokens"}},
		{engine.DialectTGI, engine.Request{Model: "m", MaxTokens: 4, MinTokens: 4, IgnoreEOS: true}, nil, []string{"ignore_eos", "min_tokens"}},
		{engine.DialectMII, engine.Request{Model: "m", MaxTokens: 4, IgnoreEOS: true}, map[string]any{"min_tokens": "4"}, []string{"ignore_eos"}},
		{engine.DialectTRTLLM, engine.Request{Model: "m", MaxTokens: 4, MinTokens: 4, IgnoreEOS: true}, map[string]any{"ignore_eos": true, "min_tokens": "4"}, nil},
		{engine.DialectOpenAI, engine.Request{Model: "m", MaxTokens: 4, IgnoreEOS: true}, nil, []string{"ignore_eos", "min_tokens"}},
		{engine.DialectVLLM, engine.Request{API: engine.APIChat, Model: "m", Messages: []engine.Message{{Role: "user", Content: "q\n\"x\""}}, IgnoreEOS: true,
			Extra: map[string]any{"ignore_eos": false, "top_k": 1}},
			map[string]any{"messages": []any{map[string]any{"role": "user", "content": "q\n\"x\""}}, "ignore_eos": false, "top_k": "1"}, []string{"prompt", "max_tokens"}},
	}
	for _, tt := range tests {
		t.Run(string(tt.dialect), func(t *testing.T) {
			t.Parallel()
			srv := enginetest.NewServer(t, enginetest.Options{})
			c := engine.NewOpenAI(engine.OpenAIOptions{BaseURL: srv.URL, Dialect: tt.dialect})
			if _, err := c.Do(context.Background(), tt.req); err != nil {
				t.Fatal(err)
			}
			body := srv.LastBody()
			for k, v := range tt.want {
				if diff := cmp.Diff(v, normalize(body[k])); diff != "" {
					t.Errorf("field %s (-want +got):\n%s", k, diff)
				}
			}
			for _, k := range tt.absent {
				if v, ok := body[k]; ok {
					t.Errorf("got field %s = %v, want none", k, v)
				}
			}
		})
	}
}

// normalize turns json.Number values into strings for comparisons.
func normalize(v any) any {
	switch v := v.(type) {
	case fmt.Stringer:
		return v.String()
	case map[string]any:
		out := map[string]any{}
		for k, x := range v {
			out[k] = normalize(x)
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, x := range v {
			out[i] = normalize(x)
		}
		return out
	}
	return v
}

func TestBaseURL(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want, wantErr string }{
		{"http://127.0.0.1:8000", "http://127.0.0.1:8000", ""},
		{"http://127.0.0.1:8000/", "http://127.0.0.1:8000", ""},
		{"http://127.0.0.1:8000/v1", "http://127.0.0.1:8000", ""},
		{"http://127.0.0.1:8000/v1/", "http://127.0.0.1:8000", ""},
		{"127.0.0.1:8000", "http://127.0.0.1:8000", ""},
		{"https://host/proxy/v1", "https://host/proxy", ""},
		{" http://h:1 ", "http://h:1", ""},
		{"", "", "no base URL"},
		{"ftp://h", "", "scheme must be http or https"},
		{"http://", "", "has no host"},
	}
	for _, tt := range tests {
		c := engine.NewOpenAI(engine.OpenAIOptions{BaseURL: tt.in})
		if tt.wantErr != "" {
			_, err := c.Do(context.Background(), completion(1, true))
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("%q: got error %v, want %q", tt.in, err, tt.wantErr)
			}
			continue
		}
		if got := c.BaseURL(); got != tt.want {
			t.Errorf("%q: got %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestParseDialect(t *testing.T) {
	t.Parallel()
	for _, d := range engine.Dialects() {
		got, err := engine.ParseDialect(strings.ToUpper(string(d)))
		if err != nil || got != d {
			t.Errorf("ParseDialect(%q) = %q, %v; want %q", strings.ToUpper(string(d)), got, err, d)
		}
	}
	for in, want := range map[string]engine.Dialect{"llama.cpp": engine.DialectLlamaCpp, "tensorrt-llm": engine.DialectTRTLLM, "deepspeed-mii": engine.DialectMII, "": engine.DialectOpenAI} {
		if got, err := engine.ParseDialect(in); err != nil || got != want {
			t.Errorf("ParseDialect(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	_, err := engine.ParseDialect("vllmm")
	want := `engine: unknown dialect "vllmm" (valid: openai, vllm, sglang, llamacpp, ollama, tgi, mii, trtllm)`
	if err == nil || err.Error() != want {
		t.Errorf("got error %v, want %q", err, want)
	}
	if w := engine.DialectOllama.Warning(engine.Request{IgnoreEOS: true}); !strings.Contains(w, "no ignore_eos") {
		t.Errorf("got Ollama warning %q, want it to say there is no ignore_eos", w)
	}
	if w := engine.DialectVLLM.Warning(engine.Request{IgnoreEOS: true}); w != "" {
		t.Errorf("got vLLM warning %q, want none", w)
	}
}
