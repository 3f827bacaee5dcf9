package load

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/muaibench/muaibench/internal/engine"
	"github.com/muaibench/muaibench/internal/metrics"
	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// The load generator's own capacity, against a zero-delay streaming
// server on loopback (a child process sharing the machine's cores), next
// to vegeta on the same endpoint:
//
//	go test -run '^$' -bench . -benchtime 1x ./internal/load/
//
// Every sub-benchmark runs for benchDuration per iteration and reports
// req/s; the open-loop one also its dispatch lag.

const benchDuration = 3 * time.Second

// streamBody is a zero-delay streamed completion: 8 one-token chunks,
// the finish chunk, usage and [DONE].
var streamBody = func() []byte {
	var sb strings.Builder
	for range 8 {
		sb.WriteString(`data: {"id":"cmpl-b","object":"text_completion","created":0,"model":"m","choices":[{"index":0,"text":" tok","finish_reason":null}]}` + "\n\n")
	}
	sb.WriteString(`data: {"id":"cmpl-b","object":"text_completion","created":0,"model":"m","choices":[{"index":0,"text":"","finish_reason":"length"}]}` + "\n\n")
	sb.WriteString(`data: {"id":"cmpl-b","object":"text_completion","created":0,"model":"m","choices":[],"usage":{"prompt_tokens":4,"completion_tokens":8,"total_tokens":12}}` + "\n\n")
	sb.WriteString("data: [DONE]\n\n")
	return []byte(sb.String())
}()

const benchRequestBody = `{"model":"m","prompt":"p","max_tokens":8,"temperature":0,"stream":true,"stream_options":{"include_usage":true}}`

// serveSSE answers every POST with streamBody at once. With hold set it
// sends the first chunk, flushes, and keeps the stream open until hold
// is closed.
func serveSSE(hold <-chan struct{}) http.Handler {
	first := streamBody[:strings.Index(string(streamBody), "\n\n")+2]
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header()["Content-Type"] = []string{"text/event-stream"}
		if hold == nil {
			w.Write(streamBody)
			return
		}
		w.Write(first)
		w.(http.Flusher).Flush()
		select {
		case <-hold:
		case <-r.Context().Done():
			return
		}
		w.Write(streamBody[len(first):])
	})
}

// serverEnv makes the test binary a streaming server (see TestMain): its
// own process, so that 10,000 streams cost each side 10,000 files, under
// the hard limit, and the server's garbage is not the client's.
const serverEnv = "MUAIBENCH_LOAD_SSE_SERVER"

// runServer is the server process: it prints its URL, serves until its
// stdin closes, and releases held streams at each line read.
func runServer(mode string) {
	var hold chan struct{}
	if mode == "hold" {
		hold = make(chan struct{})
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Printf("http://%s\n", ln.Addr())
	go http.Serve(ln, serveSSE(hold))
	sc := bufio.NewScanner(os.Stdin)
	for sc.Scan() {
		if hold != nil {
			close(hold)
			hold = nil
		}
	}
	os.Exit(0)
}

// sseServer starts the server process and returns its URL and a
// function that releases held streams.
func sseServer(b *testing.B, mode string) (url string, release func()) {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), serverEnv+"="+mode)
	cmd.Stderr = os.Stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { in.Close(); cmd.Wait() })
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		b.Fatal(err)
	}
	return strings.TrimSpace(line), func() { io.WriteString(in, "release\n") }
}

func benchSource(hit uint64) Item {
	return Item{Req: engine.Request{API: engine.APICompletions, Model: "m", Prompt: "p", MaxTokens: 8, Stream: true}, PromptTokens: 4, OutputTokens: 8}
}

// raiseFileLimit lifts RLIMIT_NOFILE to n where the process may.
func raiseFileLimit(b *testing.B, n uint64) {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		b.Skip(err)
	}
	if lim.Cur >= n {
		return
	}
	want := syscall.Rlimit{Cur: n, Max: max(lim.Max, n)}
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &want); err != nil {
		if lim.Max < n {
			b.Skipf("needs %d open files, the hard limit is %d (%v)", n, lim.Max, err)
		}
		want.Max = lim.Max
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &want); err != nil {
			b.Skip(err)
		}
	}
}

// BenchmarkGenerator measures streamed requests/s sustained by the load
// generator (closed loop and open loop at a fixed rate) and vegeta's
// request rate on the same endpoint in the same run.
func BenchmarkGenerator(b *testing.B) {
	url, _ := sseServer(b, "stream")
	client := engine.NewOpenAI(engine.OpenAIOptions{BaseURL: url, Dialect: engine.DialectVLLM})
	for _, workers := range []int{64, 256} {
		b.Run(fmt.Sprintf("muaibench/closed/workers=%d", workers), func(b *testing.B) {
			var done uint64
			var wall time.Duration
			for b.Loop() {
				agg := metrics.NewAggregator(metrics.SLO{}, true)
				rep, err := Run(context.Background(), Options{Client: client, Source: benchSource, Concurrency: workers, Duration: benchDuration}, agg)
				if err != nil {
					b.Fatal(err)
				}
				if s := agg.Close(); s.Errors > 0 {
					b.Fatalf("%d errors, e.g. %v", s.Errors, s.ErrorSamples)
				}
				done += rep.Completed
				wall += rep.Ended.Sub(rep.Began)
			}
			b.ReportMetric(float64(done)/wall.Seconds(), "req/s")
		})
		b.Run(fmt.Sprintf("vegeta/max-rate/workers=%d", workers), func(b *testing.B) {
			tr := vegeta.NewStaticTargeter(vegeta.Target{Method: "POST", URL: url + "/v1/completions", Body: []byte(benchRequestBody),
				Header: http.Header{"Content-Type": {"application/json"}, "Accept": {"text/event-stream"}}})
			var done uint64
			var wall time.Duration
			for b.Loop() {
				a := vegeta.NewAttacker(vegeta.Workers(uint64(workers)), vegeta.MaxWorkers(uint64(workers)), vegeta.KeepAlive(true),
					vegeta.Connections(workers))
				start := time.Now()
				for res := range a.Attack(tr, vegeta.Rate{}, benchDuration, "bench") {
					if res.Code != 200 {
						b.Fatalf("vegeta: %d %s", res.Code, res.Error)
					}
					done++
				}
				wall += time.Since(start)
			}
			b.ReportMetric(float64(done)/wall.Seconds(), "req/s")
		})
	}
	for _, rate := range []float64{1000, 2000, 5000, 10000} {
		b.Run(fmt.Sprintf("muaibench/open/rate=%g", rate), func(b *testing.B) {
			var done uint64
			var wall time.Duration
			var lag metrics.Stats
			var workersSeen int
			var e2e metrics.Stats
			for b.Loop() {
				agg := metrics.NewAggregator(metrics.SLO{}, true)
				rep, err := Run(context.Background(), Options{Client: client, Source: benchSource, Pacer: Constant(rate), Duration: benchDuration}, agg)
				if err != nil {
					b.Fatal(err)
				}
				s := agg.Close()
				if s.Errors > 0 {
					b.Fatalf("%d errors, e.g. %v", s.Errors, s.ErrorSamples)
				}
				done += rep.Completed
				wall += rep.Ended.Sub(rep.Began)
				lag, workersSeen, e2e = s.SendLag, rep.Workers, s.E2E
			}
			b.ReportMetric(float64(done)/wall.Seconds(), "req/s")
			b.ReportMetric(lag.P50, "lag-p50-ms")
			b.ReportMetric(lag.P99, "lag-p99-ms")
			b.ReportMetric(float64(workersSeen), "workers")
			b.ReportMetric(e2e.P50, "e2e-p50-ms")
		})
	}
}

// BenchmarkVegetaRate is vegeta at the open-loop rates of
// BenchmarkGenerator, on the same endpoint.
func BenchmarkVegetaRate(b *testing.B) {
	url, _ := sseServer(b, "stream")
	tr := vegeta.NewStaticTargeter(vegeta.Target{Method: "POST", URL: url + "/v1/completions", Body: []byte(benchRequestBody),
		Header: http.Header{"Content-Type": {"application/json"}, "Accept": {"text/event-stream"}}})
	for _, rate := range []int{5000, 10000} {
		b.Run(fmt.Sprintf("rate=%d", rate), func(b *testing.B) {
			var done uint64
			var wall time.Duration
			var lat []float64
			for b.Loop() {
				a := vegeta.NewAttacker(vegeta.KeepAlive(true))
				start := time.Now()
				for res := range a.Attack(tr, vegeta.Rate{Freq: rate, Per: time.Second}, benchDuration, "bench") {
					if res.Code == 200 {
						done++
					}
					lat = append(lat, float64(res.Latency)/float64(time.Millisecond))
				}
				wall += time.Since(start)
			}
			s := metrics.Summarize(lat)
			b.ReportMetric(float64(done)/wall.Seconds(), "req/s")
			b.ReportMetric(s.P99, "latency-p99-ms")
		})
	}
}

// BenchmarkOpenStreams opens 10,000 concurrent streams (open loop at
// 20,000/s), each held open by the server after its first chunk, and
// reports how long it took to have them all open and the heap and stack
// each cost the client (the server runs in its own process).
func BenchmarkOpenStreams(b *testing.B) {
	const streams = 10000
	raiseFileLimit(b, streams+1024)
	for b.Loop() {
		url, release := sseServer(b, "hold")
		client := engine.NewOpenAI(engine.OpenAIOptions{BaseURL: url, Dialect: engine.DialectVLLM})
		var before, at runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		var opened time.Duration
		agg := metrics.NewAggregator(metrics.SLO{}, true)
		rep, err := Run(context.Background(), Options{
			Client: client, Source: benchSource, Pacer: Constant(2 * streams), Requests: streams, Concurrency: streams,
			Tick: 10 * time.Millisecond,
			Progress: func(s Snapshot) {
				if opened == 0 && s.InFlight >= streams {
					opened = s.Elapsed
					runtime.ReadMemStats(&at)
					release()
				}
			},
		}, agg)
		if err != nil {
			b.Fatal(err)
		}
		s := agg.Close()
		if opened == 0 || s.Errors > 0 {
			b.Fatalf("peak in flight %d, %d errors (%v): the streams were not all open at once", rep.PeakInFlight, s.Errors, s.ErrorSamples)
		}
		b.ReportMetric(float64(rep.PeakInFlight), "open-streams")
		b.ReportMetric(opened.Seconds(), "s-to-open")
		inUse := func(m *runtime.MemStats) float64 { return float64(m.HeapInuse + m.StackInuse) }
		b.ReportMetric((inUse(&at)-inUse(&before))/streams, "bytes/stream")
		b.ReportMetric(s.SendLag.P99, "lag-p99-ms")
	}
}
