package engine

import (
	"bytes"
	"io"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// decoded is chunkInfo plus its text, for comparisons.
type decoded struct {
	Text    string
	Tokens  int
	Finish  string
	Usage   *Usage
	Timings map[string]float64
	Err     *StreamError
}

func decodeWith(t testing.TB, slow bool, data string) (decoded, error) {
	var dst []byte
	var info chunkInfo
	var err error
	if slow {
		info, err = decodeChunkSlow([]byte(data), &dst)
	} else {
		var d chunkDecoder
		info, err = d.decode([]byte(data), &dst)
	}
	if err == nil && info.textLen != len(dst) {
		t.Fatalf("textLen %d, appended %d bytes", info.textLen, len(dst))
	}
	return decoded{Text: string(dst), Tokens: info.tokens, Finish: info.finish, Usage: info.usage, Timings: info.timings, Err: info.err}, err
}

func TestDecodeChunk(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		in      string
		want    decoded
		wantErr string
	}{
		{"completion text", `{"choices":[{"text":" a","index":0,"finish_reason":null}]}`, decoded{Text: " a"}, ""},
		{"chat content", `{"choices":[{"index":0,"delta":{"content":"b"}}]}`, decoded{Text: "b"}, ""},
		{"role only", `{"choices":[{"index":0,"delta":{"role":"assistant"},"finish_reason":null}]}`, decoded{}, ""},
		{"content null", `{"choices":[{"delta":{"role":"assistant","content":null}}]}`, decoded{}, ""},
		{"empty final text", `{"choices":[{"text":"","finish_reason":"length"}]}`, decoded{Finish: "length"}, ""},
		{"usage only", `{"choices":[],"usage":{"prompt_tokens":3,"completion_tokens":4,"total_tokens":7}}`,
			decoded{Usage: &Usage{3, 4, 7}}, ""},
		{"usage null", `{"choices":[{"text":"x"}],"usage":null}`, decoded{Text: "x"}, ""},
		{"reasoning", `{"choices":[{"delta":{"content":"","reasoning_content":"think"}}]}`, decoded{Text: "think"}, ""},
		{"ollama reasoning", `{"choices":[{"delta":{"content":"","reasoning":"hm"}}]}`, decoded{Text: "hm"}, ""},
		{"escapes", `{"choices":[{"text":"a\n\"b\"\\\u00e9\ud83d\ude00\t"}]}`, decoded{Text: "a\n\"b\"\\é😀\t"}, ""},
		{"lone surrogate", `{"choices":[{"text":"\ud83d!"}]}`, decoded{Text: "\uFFFD!"}, ""},
		{"invalid UTF-8", "{\"choices\":[{\"text\":\"a\xffb\"}]}", decoded{Text: "a\uFFFDb"}, ""},
		{"token ids", `{"choices":[{"text":"ab","token_ids":[1,2]}]}`, decoded{Text: "ab", Tokens: 2}, ""},
		{"logprobs tokens", `{"choices":[{"text":"ab","logprobs":{"tokens":["a","b"],"token_logprobs":[0,0]}}]}`, decoded{Text: "ab", Tokens: 2}, ""},
		{"chat logprobs", `{"choices":[{"delta":{"content":"ab"},"logprobs":{"content":[{"token":"a"},{"token":"b"},{"token":"c"}]}}]}`, decoded{Text: "ab", Tokens: 3}, ""},
		{"two choices", `{"choices":[{"index":0,"text":"a"},{"index":1,"text":"b","finish_reason":"stop"}]}`, decoded{Text: "ab", Finish: "stop"}, ""},
		{"timings", `{"choices":[],"timings":{"predicted_n":4,"predicted_ms":37.4,"note":"x"}}`,
			decoded{Timings: map[string]float64{"predicted_n": 4, "predicted_ms": 37.4}}, ""},
		{"whitespace", " { \"choices\" : [ { \"text\" : \"a\" } ] } \n", decoded{Text: "a"}, ""},
		{"case-insensitive keys like encoding/json", `{"Choices":[{"TEXT":"a"}]}`, decoded{Text: "a"}, ""},
		{"non-streamed chat", `{"choices":[{"message":{"role":"assistant","content":"hi"},"finish_reason":"stop"}]}`, decoded{Text: "hi", Finish: "stop"}, ""},
		{"repeated key: last wins", `{"choices":[{"text":"a","text":"b"}]}`, decoded{Text: "b"}, ""},
		{"null", `null`, decoded{}, ""},
		{"error object", `{"error":{"message":"boom","type":"server_error","code":500}}`,
			decoded{Err: &StreamError{Type: "server_error", Message: "boom"}}, ""},
		{"vLLM error object", `{"object": "error", "message": "bad", "type": "BadRequestError", "param": null, "code": 400}`,
			decoded{Err: &StreamError{Type: "BadRequestError", Message: "bad"}}, ""},
		{"TGI error", `{"error":"Request failed","error_type":"generation"}`,
			decoded{Err: &StreamError{Type: "generation", Message: "Request failed"}}, ""},
		{"error null", `{"choices":[{"text":"a"}],"error":null}`, decoded{Text: "a"}, ""},
		{"truncated", `{"choices":[{"text":" oops"`, decoded{}, "malformed chunk: unexpected end of JSON input"},
		{"not JSON", `hello`, decoded{}, "malformed chunk: invalid character 'h'"},
		{"wrong type", `{"choices":[{"text":5}]}`, decoded{}, "malformed chunk: json: cannot unmarshal number"},
		{"array", `[1]`, decoded{}, "malformed chunk"},
		{"trailing garbage", `{"choices":[]} x`, decoded{}, "malformed chunk"},
		{"fractional usage", `{"usage":{"prompt_tokens":1.5}}`, decoded{}, "malformed chunk"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			for _, slow := range []bool{false, true} {
				got, err := decodeWith(t, slow, tt.in)
				if tt.wantErr != "" {
					if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
						t.Fatalf("slow=%v: got error %v, want one containing %q", slow, err, tt.wantErr)
					}
					continue
				}
				if err != nil {
					t.Fatalf("slow=%v: %v", slow, err)
				}
				if diff := cmp.Diff(tt.want, got); diff != "" {
					t.Errorf("slow=%v: decoded (-want +got):\n%s", slow, diff)
				}
			}
		})
	}
}

// TestDecodeChunkFastPathAllocs guards the per-token cost: an ordinary
// token chunk must decode without allocating.
func TestDecodeChunkFastPathAllocs(t *testing.T) {
	for _, in := range []string{
		`{"id":"cmpl-1","object":"text_completion","created":1,"model":"m","choices":[{"index":0,"text":" tok","logprobs":null,"finish_reason":null}],"usage":null}`,
		`{"id":"c","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"role":"assistant","content":"a\nb\u00e9"},"logprobs":null,"finish_reason":null}]}`,
	} {
		var d chunkDecoder
		dst := make([]byte, 0, 1024)
		data := []byte(in)
		allocs := testing.AllocsPerRun(100, func() {
			dst = dst[:0]
			if _, err := d.decode(data, &dst); err != nil {
				t.Fatal(err)
			}
		})
		if allocs != 0 {
			t.Errorf("%s: got %v allocations per decode, want 0", in, allocs)
		}
	}
}

// chunkSeeds returns the data of every event in the transcripts.
func chunkSeeds(t testing.TB) [][]byte {
	var out [][]byte
	for _, s := range transcriptSeeds(t) {
		r := NewSSEReader(bytes.NewReader(s), 0)
		for {
			ev, err := r.Next()
			if err != nil {
				break
			}
			out = append(out, bytes.Clone(ev.Data))
		}
		if len(s) > 0 && s[0] == '{' {
			out = append(out, s)
		}
	}
	return out
}

// FuzzDecodeChunk checks the fast path against encoding/json: the same
// result for every input, the same accept/reject decision, and no panic.
func FuzzDecodeChunk(f *testing.F) {
	for _, s := range chunkSeeds(f) {
		f.Add(s)
	}
	f.Add([]byte(`{"choices":[{"text":"\ud83d\ude00\ud800x","token_ids":[1,[2]],"logprobs":{"tokens":null,"content":[1]}}],"timings":{"a":-1e3,"b":"x"}}`))
	f.Fuzz(func(t *testing.T, in []byte) {
		fast, errFast := decodeWith(t, false, string(in))
		slow, errSlow := decodeWith(t, true, string(in))
		if (errFast == nil) != (errSlow == nil) {
			t.Fatalf("fast: %v, slow: %v", errFast, errSlow)
		}
		if errFast != nil {
			return
		}
		if diff := cmp.Diff(slow, fast); diff != "" {
			t.Fatalf("fast path differs from encoding/json (-slow +fast):\n%s", diff)
		}
	})
}

func benchmarkDecode(b *testing.B, slow bool) {
	body := loadTranscript(b, filepath.Join(transcriptDir, "vllm", "chat_stream_usage.sse"), 0)
	var events [][]byte
	r := NewSSEReader(bytes.NewReader(body), 0)
	for {
		ev, err := r.Next()
		if err == io.EOF {
			break
		}
		if string(ev.Data) != "[DONE]" {
			events = append(events, bytes.Clone(ev.Data))
		}
	}
	var d chunkDecoder
	dst := make([]byte, 0, 4096)
	b.ReportAllocs()
	for b.Loop() {
		dst = dst[:0]
		for _, ev := range events {
			var err error
			if slow {
				_, err = decodeChunkSlow(ev, &dst)
			} else {
				_, err = d.decode(ev, &dst)
			}
			if err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(events)), "ns/event")
}

// BenchmarkDecodeChunk compares the fast path with encoding/json on a
// vLLM chat stream (role chunk, six tokens, finish, usage).
func BenchmarkDecodeChunk(b *testing.B) {
	b.Run("fast", func(b *testing.B) { benchmarkDecode(b, false) })
	b.Run("encoding-json", func(b *testing.B) { benchmarkDecode(b, true) })
}
