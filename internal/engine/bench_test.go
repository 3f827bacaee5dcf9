package engine_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"testing"

	"github.com/muaibench/muaibench/internal/engine"
	"github.com/muaibench/muaibench/internal/engine/enginetest"
)

// staticRoundTripper answers every request with the same event stream,
// with no network and no server: it isolates the client's own cost.
type staticRoundTripper struct{ body []byte }

func (s staticRoundTripper) RoundTrip(req *http.Request) (*http.Response, error) {
	return &http.Response{
		StatusCode: http.StatusOK,
		Header:     http.Header{"Content-Type": {"text/event-stream"}},
		Body:       io.NopCloser(bytes.NewReader(s.body)),
		Request:    req,
	}, nil
}

// vllmStream builds a vLLM-shaped completions stream of n tokens.
func vllmStream(n int) []byte {
	var b bytes.Buffer
	for range n {
		b.WriteString(`data: {"id":"cmpl-5b1c","object":"text_completion","created":1764200000,"model":"meta-llama/Llama-3.1-8B-Instruct","choices":[{"index":0,"text":" tok","logprobs":null,"finish_reason":null,"stop_reason":null}],"usage":null}` + "\n\n")
	}
	fmt.Fprintf(&b, `data: {"id":"cmpl-5b1c","object":"text_completion","created":1764200000,"model":"meta-llama/Llama-3.1-8B-Instruct","choices":[],"usage":{"prompt_tokens":12,"total_tokens":%d,"completion_tokens":%d}}`+"\n\ndata: [DONE]\n\n", 12+n, n)
	return b.Bytes()
}

func reportPerToken(b *testing.B, tokens int) {
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*tokens), "ns/token")
}

// BenchmarkClient measures a whole Do: in process (the client's own cost,
// no network) and against the fake engine on loopback (client, kernel and
// fake server together, in one process).
func BenchmarkClient(b *testing.B) {
	ctx := context.Background()
	for _, n := range []int{16, 256} {
		b.Run(fmt.Sprintf("inprocess/tokens=%d", n), func(b *testing.B) {
			c := engine.NewOpenAI(engine.OpenAIOptions{BaseURL: "http://engine", Dialect: engine.DialectVLLM,
				HTTPClient: &http.Client{Transport: staticRoundTripper{vllmStream(n)}}})
			req := completion(n, true)
			b.ReportAllocs()
			for b.Loop() {
				resp, err := c.Do(ctx, req)
				if err != nil || len(resp.Chunks) != n {
					b.Fatalf("got %d chunks, %v", len(resp.Chunks), err)
				}
			}
			reportPerToken(b, n)
		})
		for _, api := range []engine.API{engine.APICompletions, engine.APIChat} {
			b.Run(fmt.Sprintf("loopback/%s/tokens=%d", api, n), func(b *testing.B) {
				srv := enginetest.NewServer(b, enginetest.Options{})
				c := client(srv.URL)
				req := completion(n, true)
				if api == engine.APIChat {
					req = chat(n, true)
				}
				b.ReportAllocs()
				for b.Loop() {
					resp, err := c.Do(ctx, req)
					if err != nil || len(resp.Chunks) != n {
						b.Fatalf("got %d chunks, %v", len(resp.Chunks), err)
					}
				}
				reportPerToken(b, n)
			})
		}
	}
}

// BenchmarkClientParallel is the throughput check: streamed requests per
// second that one process sustains against a zero-delay fake engine on
// loopback, the fake engine running in the same process.
func BenchmarkClientParallel(b *testing.B) {
	for _, n := range []int{1, 16} {
		b.Run(fmt.Sprintf("tokens=%d", n), func(b *testing.B) {
			srv := enginetest.NewServer(b, enginetest.Options{})
			c := client(srv.URL)
			req := completion(n, true)
			b.ReportAllocs()
			b.SetParallelism(8)
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					resp, err := c.Do(context.Background(), req)
					if err != nil || len(resp.Chunks) != n {
						b.Errorf("got %d chunks, %v", len(resp.Chunks), err)
						return
					}
				}
			})
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
		})
	}
}
