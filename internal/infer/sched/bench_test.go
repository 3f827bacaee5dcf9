package sched

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/muaibench/muaibench/internal/infer"
)

// BenchmarkThroughput measures generated tokens per second for a burst of
// concurrent requests on the real GPT-2 code with synthetic weights,
// batched and one at a time:
//
//	go test -run '^$' -bench Throughput -benchtime 1x ./internal/infer/sched/
func BenchmarkThroughput(b *testing.B) {
	const (
		requests  = 8
		promptLen = 32
		maxTokens = 32
	)
	for _, name := range []string{"tiny", "gpt2"} {
		shape, err := infer.ShapeByName(name)
		if err != nil {
			b.Fatal(err)
		}
		m, err := infer.NewSynthetic(shape, 1)
		if err != nil {
			b.Fatal(err)
		}
		for _, noBatching := range []bool{false, true} {
			b.Run(fmt.Sprintf("%s/batching=%v", name, !noBatching), func(b *testing.B) {
				s := New(m, Options{NoBatching: noBatching})
				ctx, cancel := context.WithCancel(context.Background())
				defer cancel()
				go s.Run(ctx)
				var tokens int
				var elapsed time.Duration
				for b.Loop() {
					start := time.Now()
					var chans []<-chan Event
					for i := range requests {
						prompt := make([]int, promptLen)
						for j := range prompt {
							prompt[j] = (i*977 + j*131) % shape.Vocab
						}
						ch, err := s.Submit(ctx, Request{Prompt: prompt, MaxTokens: maxTokens, IgnoreEOS: true})
						if err != nil {
							b.Fatal(err)
						}
						chans = append(chans, ch)
					}
					for _, ch := range chans {
						tokens += len(collect(ch).tokens)
					}
					elapsed += time.Since(start)
				}
				b.ReportMetric(float64(tokens)/elapsed.Seconds(), "tok/s")
				st := s.Stats()
				b.ReportMetric(float64(st.GenerationTokens+st.PromptTokens)/float64(st.Steps), "tokens/step")
			})
		}
	}
}
