package infer

import (
	"runtime"
	"testing"
	"time"

	"github.com/muaibench/muaibench/internal/infer/kernels"
)

// BenchmarkFormat measures gpt2 in each weight format: decode of one
// sequence (tokens 0 to 127 of its context over and over, as
// BenchmarkDecode's batch=1) with its fraction of the format's bandwidth
// ceiling (read bandwidth ÷ that format's weight bytes per token,
// measured in this process) on each SIMD path, and a 128-token prefill.
func BenchmarkFormat(b *testing.B) {
	forEachFormat(b, func(f kernels.Format, g *GPT2) {
		shape := g.shape
		for _, impl := range kernels.Impls() {
			if impl != "generic" {
				b.Run(f.String()+"/decode/"+impl, func(b *testing.B) {
					defer kernels.SetImpl(kernels.Impl())
					if err := kernels.SetImpl(impl); err != nil {
						b.Fatal(err)
					}
					benchDecodeFormat(b, g)
				})
			}
		}
		b.Run(f.String()+"/prefill", func(b *testing.B) {
			const n = 128
			pool := g.NewKVPool(int64(n+16)*int64(shape.Layers*2*shape.Embd*4), 16)
			tokens := testTokens(n, 1)
			logits := make([]float32, shape.Vocab)
			for b.Loop() {
				c := pool.NewSeq()
				c.Reserve(n)
				if err := g.Forward([]Seq{{Cache: c, Tokens: tokens, Logits: logits}}); err != nil {
					b.Fatal(err)
				}
				c.Release()
			}
			b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "tokens/s")
		})
	})
}

// forEachFormat builds synthetic gpt2 in every format in turn and calls
// fn with it, letting each go (its weights live off the heap until
// collected) before the next.
func forEachFormat(b *testing.B, fn func(kernels.Format, *GPT2)) {
	shape, err := ShapeByName("gpt2")
	if err != nil {
		b.Fatal(err)
	}
	for _, f := range []kernels.Format{kernels.FP32, kernels.FP16, kernels.INT8, kernels.INT4} {
		g, err := NewSynthetic(shape, 1, WithFormat(f))
		if err != nil {
			b.Fatal(err)
		}
		fn(f, g)
		g = nil
		runtime.GC()
	}
}

// benchDecodeFormat is BenchmarkFormat's decode of one sequence on g.
func benchDecodeFormat(b *testing.B, g *GPT2) {
	shape := g.shape
	const tg = 128
	pool := g.NewKVPool(int64(tg+16)*int64(shape.Layers*2*shape.Embd*4), 16)
	c := pool.NewSeq()
	defer c.Release()
	c.Reserve(tg)
	seq := []Seq{{Cache: c, Tokens: []int{1}, Logits: make([]float32, shape.Vocab)}}
	cpu0 := processCPU()
	for b.Loop() {
		if c.Len == tg {
			c.Len = 0
		}
		if err := g.Forward(seq); err != nil {
			b.Fatal(err)
		}
	}
	tps := float64(b.N) / b.Elapsed().Seconds()
	ceiling := benchBandwidth() / float64(decodeBytes(g.Info()))
	b.ReportMetric(tps, "tokens/s")
	b.ReportMetric(ceiling, "ceiling-tokens/s")
	b.ReportMetric(100*tps/ceiling, "%ceiling")
	b.ReportMetric(float64(g.Info().WeightBytes)/1e6, "weight-MB")
	reportCPU(b, cpu0, 1)
}

// BenchmarkSpeed runs MeasureSpeed, as muaibench env does, on gpt2 in every
// format: prefill of 128 tokens, then 128 decode tokens in rounds of 8,
// each timed after 8 untimed tokens of another sequence and set against the read bandwidth measured right before and after it
// (the probe's 512 MiB). paired-%ceiling is the median round's fraction
// over all ops, the figure to compare on a machine whose bandwidth moves.
func BenchmarkSpeed(b *testing.B) {
	forEachFormat(b, func(f kernels.Format, g *GPT2) {
		b.Run(f.String(), func(b *testing.B) {
			var fracs []float64
			var dec, pre float64
			for b.Loop() {
				s, err := MeasureSpeed(g, 128, 128, probe())
				if err != nil {
					b.Fatal(err)
				}
				fracs = append(fracs, s.Fraction)
				dec += s.DecodeTPS
				pre += s.PrefillTPS
			}
			b.ReportMetric(100*median(fracs), "paired-%ceiling")
			b.ReportMetric(dec/float64(b.N), "decode-tokens/s")
			b.ReportMetric(pre/float64(b.N), "prefill-tokens/s")
		})
	})
}

// BenchmarkDecodeAfterProbe shows why MeasureSpeed settles before each
// round: it decodes rounds of 32 tokens, each straight after a 512 MiB
// bandwidth pass (after=pass), after the pass and SettleTokens untimed
// tokens of another sequence (after=pass+settle), or after 10 ms of
// spinning with no memory traffic (after=spin), and reports the mean
// time of the rounds' tokens 0, 1–3, 4–7 and 8–31, and what a round of
// the first 8 reads against the last 24 (slow8-ratio: 1 when what came
// before leaves no wake).
func BenchmarkDecodeAfterProbe(b *testing.B) {
	forEachFormat(b, func(f kernels.Format, g *GPT2) {
		if f == kernels.FP32 {
			return
		}
		for _, after := range []string{"pass", "pass+settle", "spin"} {
			b.Run(f.String()+"/after="+after, func(b *testing.B) {
				const round, rounds = 32, 4
				pool := g.NewKVPool(kvBytes(g.shape, round*rounds+SettleTokens+32), 16)
				logits := make([]float32, g.shape.Vocab)
				p := probe()
				var sum [round]time.Duration
				for b.Loop() {
					c := pool.NewSeq()
					c.Reserve(round * rounds)
					tok := []int{1}
					for range rounds {
						switch after {
						case "spin":
							for t0 := time.Now(); time.Since(t0) < 10*time.Millisecond; {
							}
						case "pass+settle":
							p.Pass()
							if err := settle(g, pool, logits); err != nil {
								b.Fatal(err)
							}
						default:
							p.Pass()
						}
						for i := range round {
							t0 := time.Now()
							if err := g.Forward([]Seq{{Cache: c, Tokens: tok, Logits: logits}}); err != nil {
								b.Fatal(err)
							}
							tok[0] = Argmax(logits)
							sum[i] += time.Since(t0)
						}
					}
					c.Release()
				}
				mean := func(lo, hi int) float64 {
					var d time.Duration
					for _, s := range sum[lo:hi] {
						d += s
					}
					return d.Seconds() / float64((hi-lo)*b.N*rounds) * 1e6
				}
				b.ReportMetric(mean(0, 1), "t0-us")
				b.ReportMetric(mean(1, 4), "t1-3-us")
				b.ReportMetric(mean(4, 8), "t4-7-us")
				b.ReportMetric(mean(8, round), "t8-31-us")
				b.ReportMetric(mean(0, 8)/mean(8, round), "slow8-ratio")
			})
		}
	})
}
