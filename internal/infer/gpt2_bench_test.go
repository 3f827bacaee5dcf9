package infer

import (
	"bufio"
	"cmp"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/muaibench/muaibench/internal/infer/kernels"
)

var benchGPT2 = sync.OnceValues(func() (*GPT2, error) {
	shape, err := ShapeByName("gpt2")
	if err != nil {
		return nil, err
	}
	return NewSynthetic(shape, 1)
})

func benchModel(b *testing.B) *GPT2 {
	g, err := benchGPT2()
	if err != nil {
		b.Fatal(err)
	}
	return g
}

// benchBandwidth is the machine's read bandwidth, measured once.
var benchBandwidth = sync.OnceValue(func() float64 { return kernels.ReadBandwidth(1<<30, time.Second) })

// probe is the buffer cpuBandwidth reads: 512 MiB, far past any cache,
// on the pages the weights use.
var probe = sync.OnceValue(func() *kernels.BandwidthProbe { return kernels.NewBandwidthProbe(512 << 20) })

// cpuBandwidth is the read bandwidth per CPU-second: three passes of the
// kernels' probe over every thread, divided by the process CPU time they
// took. A thread waiting for a core on a loaded machine does not count, so
// decode's bytes per CPU-second over this is a fraction of the ceiling
// that load moves much less than wall time does.
func cpuBandwidth() float64 {
	p := probe()
	c0 := processCPU()
	for range 3 {
		p.Pass()
	}
	return 3 * float64(p.Bytes()) / (processCPU() - c0).Seconds()
}

// BenchmarkDecode measures whole-model decode steps of gpt2 as llama-bench's
// tg128 does: batch sequences, each generating tokens 0 to 127 of its
// context over and over, one token per sequence per step, logits for each.
func BenchmarkDecode(b *testing.B) {
	g := benchModel(b)
	const tg = 128
	for _, batch := range []int{1, 4, 8} {
		b.Run(fmt.Sprintf("batch=%d", batch), func(b *testing.B) {
			pool := g.NewKVPool(int64(batch)*(tg+16)*int64(g.shape.Layers*2*g.shape.Embd*4), 16)
			seqs := make([]Seq, batch)
			for i := range seqs {
				c := pool.NewSeq()
				defer c.Release()
				if !c.Reserve(tg) {
					b.Fatal("KV pool too small")
				}
				seqs[i] = Seq{Cache: c, Tokens: []int{i + 1}, Logits: make([]float32, g.shape.Vocab)}
			}
			var cbw float64
			if batch == 1 {
				cbw = cpuBandwidth()
			}
			cpu0 := processCPU()
			for b.Loop() {
				for i := range seqs {
					if seqs[i].Cache.Len == tg {
						seqs[i].Cache.Len = 0 // rewind: the blocks stay reserved
					}
				}
				if err := g.Forward(seqs); err != nil {
					b.Fatal(err)
				}
			}
			tps := float64(batch*b.N) / b.Elapsed().Seconds()
			b.ReportMetric(tps, "tokens/s")
			cpu := (processCPU() - cpu0).Seconds()
			reportCPU(b, cpu0, batch)
			if batch == 1 {
				ceiling := benchBandwidth() / float64(decodeBytes(g.Info()))
				b.ReportMetric(ceiling, "ceiling-tokens/s")
				b.ReportMetric(100*tps/ceiling, "%ceiling")
				// The same fraction per CPU-second, probe taken before and
				// after, the higher kept. Meaningful one thread against one
				// (GOMAXPROCS=1): with more, the probe's threads share the
				// bandwidth all the time and decode's do not.
				cpuTPS := float64(b.N) / cpu
				cpuCeiling := max(cbw, cpuBandwidth()) / float64(decodeBytes(g.Info()))
				b.ReportMetric(100*cpuTPS/cpuCeiling, "cpu-%ceiling")
			}
		})
	}
}

// BenchmarkPrefill measures a 128-token prompt into an empty cache, logits
// for the last token only.
func BenchmarkPrefill(b *testing.B) {
	g := benchModel(b)
	const n = 128
	pool := g.NewKVPool(int64(n+16)*int64(g.shape.Layers*2*g.shape.Embd*4), 16)
	tokens := testTokens(n, 1)
	logits := make([]float32, g.shape.Vocab)
	cpu0 := processCPU()
	for b.Loop() {
		c := pool.NewSeq()
		if !c.Reserve(n) {
			b.Fatal("KV pool too small")
		}
		if err := g.Forward([]Seq{{Cache: c, Tokens: tokens, Logits: logits}}); err != nil {
			b.Fatal(err)
		}
		c.Release()
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "tokens/s")
	reportCPU(b, cpu0, n)
}

// reportCPU reports the process CPU time per op since cpu0 and the tokens
// per CPU-second it implies, tokens being processed per op: a rate that
// waiting for a core on a loaded machine does not move. Spinning workers
// count, so on an idle machine tokens/s is at most tokens/cpu-s × cores.
func reportCPU(b *testing.B, cpu0 time.Duration, tokens int) {
	cpu := (processCPU() - cpu0).Seconds()
	if cpu <= 0 {
		return
	}
	b.ReportMetric(cpu/float64(b.N)*1e3, "cpu-ms/op")
	b.ReportMetric(float64(tokens*b.N)/cpu, "tokens/cpu-s")
}

// BenchmarkSynthetic measures drawing and packing gpt2's weights.
func BenchmarkSynthetic(b *testing.B) {
	shape, _ := ShapeByName("gpt2")
	for b.Loop() {
		if _, err := SyntheticWeights(shape, 1); err != nil {
			b.Fatal(err)
		}
	}
}

// procStatus returns a /proc/self/status field in bytes.
func procStatus(field string) (int64, error) {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), field+":"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return kb << 10, err
		}
	}
	return 0, fmt.Errorf("no %s in /proc/self/status", field)
}

// TestSyntheticMemory checks the memory target in a fresh process:
// after loading synthetic gpt2 and running a prefill and a few decode
// steps, the peak RSS stays within 1.15× the weight bytes plus the KV
// cache.
func TestSyntheticMemory(t *testing.T) {
	if os.Getenv("MUAIBENCH_MEMORY_CHILD") == "1" {
		memoryChild(t)
		return
	}
	if raceEnabled {
		t.Skip("the race detector's shadow memory inflates RSS")
	}
	if testing.Short() {
		t.Skip("loads gpt2 in a child process")
	}
	if _, err := os.Stat("/proc/self/status"); err != nil {
		t.Skip("no /proc/self/status")
	}
	weights, kv, hwm, rss, secs := memoryInChild(t, "fp32")
	t.Logf("weights %.1f MiB, KV pool %.1f MiB, VmHWM %.1f MiB (%.3f× weights), VmRSS %.1f MiB, synthetic load %.2fs",
		mib(weights), mib(kv), mib(hwm), float64(hwm)/float64(weights), mib(rss), secs)
	if limit := weights*115/100 + kv; hwm > limit {
		t.Errorf("got peak RSS %.1f MiB, want <= 1.15×weights + KV = %.1f MiB", mib(hwm), mib(limit))
	}
}

// memoryInChild loads synthetic gpt2 in format in a child process and
// returns what it measured.
func memoryInChild(t *testing.T, format string) (weights, kv, hwm, rss int64, secs float64) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestSyntheticMemory$", "-test.v")
	cmd.Env = append(os.Environ(), "MUAIBENCH_MEMORY_CHILD=1", "MUAIBENCH_MEMORY_FORMAT="+format)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	for _, line := range strings.Split(string(out), "\n") {
		if rest, ok := strings.CutPrefix(strings.TrimSpace(line), "memory: "); ok {
			fmt.Sscanf(rest, "weights=%d kv=%d hwm=%d rss=%d load=%g", &weights, &kv, &hwm, &rss, &secs)
		}
	}
	if weights == 0 {
		t.Fatalf("child printed no memory line:\n%s", out)
	}
	return weights, kv, hwm, rss, secs
}

func mib(n int64) float64 { return float64(n) / (1 << 20) }

func memoryChild(t *testing.T) {
	shape, _ := ShapeByName("gpt2")
	format, err := kernels.ParseFormat(cmp.Or(os.Getenv("MUAIBENCH_MEMORY_FORMAT"), "fp32"))
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	g, err := NewSynthetic(shape, 1, WithFormat(format))
	if err != nil {
		t.Fatal(err)
	}
	secs := time.Since(start).Seconds()
	pool := g.NewKVPool(64<<20, 16)
	c := pool.NewSeq()
	c.Reserve(136)
	logits := make([]float32, shape.Vocab)
	if err := g.Forward([]Seq{{Cache: c, Tokens: testTokens(128, 1), Logits: logits}}); err != nil {
		t.Fatal(err)
	}
	for i := range 8 {
		if err := g.Forward([]Seq{{Cache: c, Tokens: []int{i}, Logits: logits}}); err != nil {
			t.Fatal(err)
		}
	}
	hwm, err := procStatus("VmHWM")
	if err != nil {
		t.Fatal(err)
	}
	rss, _ := procStatus("VmRSS")
	fmt.Printf("memory: weights=%d kv=%d hwm=%d rss=%d load=%g\n", g.w.Bytes(), pool.CapacityBytes(), hwm, rss, secs)
}

// BenchmarkAttention measures one layer's attention of gpt2 for one
// sequence: a decode token over a context, and a whole prompt.
func BenchmarkAttention(b *testing.B) {
	for _, tc := range []struct{ ctx, tokens int }{{16, 1}, {64, 1}, {256, 1}, {128, 128}} {
		b.Run(fmt.Sprintf("ctx=%d/tokens=%d", tc.ctx, tc.tokens), func(b *testing.B) {
			benchAttention(b, tc.ctx, tc.tokens)
		})
	}
}

func benchAttention(b *testing.B, ctx, tokens int) {
	g := benchModel(b)
	e := g.shape.Embd
	pool := g.NewKVPool(int64(ctx+16)*int64(g.shape.Layers*2*e*4), 16)
	c := pool.NewSeq()
	c.Reserve(ctx)
	c.Len = ctx - tokens
	batch := []Seq{{Cache: c, Tokens: make([]int, tokens)}}
	g.buf.rows = []int{0}
	g.buf.qkv = make([]float32, tokens*3*e)
	g.buf.h = make([]float32, tokens*e)
	for b.Loop() {
		g.attention(batch, 0)
	}
}

// BenchmarkDecodeLinears runs only the matrix multiplies of one gpt2
// decode step, in Forward's order, with the LM head packed in parts (as
// Forward has it) and whole. Set beside BenchmarkDecode/batch=1, it shows
// what the rest of the step costs. The gap variant spins the caller for
// 20µs between multiplies, as Forward's single-threaded steps (LayerNorm,
// attention, GELU) do, to show what idle workers cost to wake.
func BenchmarkDecodeLinears(b *testing.B) {
	g := benchModel(b)
	w, e := g.w, g.shape.Embd
	x := make([]float32, 4*e)
	out := make([]float32, 4*e)
	logits := make([]float32, g.shape.Vocab)
	var gap time.Duration
	spin := func() {
		for t0 := time.Now(); time.Since(t0) < gap; {
		}
	}
	linears := func() {
		for l := range w.Blocks {
			bw := &w.Blocks[l]
			kernels.MatMul(out, x, 1, bw.Attn, bw.AttnBias)
			spin()
			kernels.MatMul(out, x, 1, bw.AttnProj[0], bw.AttnProjBias)
			kernels.MatMul(out, x, 1, bw.AttnProj[1], nil)
			spin()
			kernels.MatMul(out, x, 1, bw.FC, bw.FCBias)
			spin()
			kernels.MatMul(out, x, 1, bw.FCProj[0], bw.FCProjBias)
			kernels.MatMul(out, x, 1, bw.FCProj[1], nil)
			spin()
		}
	}
	b.Run("lmhead=parts", func(b *testing.B) {
		for b.Loop() {
			linears()
			w.WTE.Logits(logits, x, 1, nil)
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "tokens/s")
	})
	b.Run("lmhead=parts/gap=20us", func(b *testing.B) {
		gap = 20 * time.Microsecond
		defer func() { gap = 0 }()
		for b.Loop() {
			linears()
			w.WTE.Logits(logits, x, 1, nil)
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "tokens/s")
		b.ReportMetric(float64(48*gap)/1e6, "gap-ms/token")
	})
	b.Run("lmhead=whole", func(b *testing.B) {
		rows := make([]float32, g.shape.Vocab*e)
		for r := range g.shape.Vocab {
			w.WTE.Row(r, rows[r*e:(r+1)*e])
		}
		whole := kernels.Pack(rows, g.shape.Vocab, e)
		rows = nil
		for b.Loop() {
			linears()
			kernels.MatMul(logits, x, 1, whole, nil)
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "tokens/s")
	})
}

// BenchmarkDecodeNonLinear runs everything of a gpt2 decode step but the
// matrix multiplies: embedding, LayerNorms, KV stores, attention over a
// 64-token context (tg128's mean), GELU, residual adds, final LayerNorm.
func BenchmarkDecodeNonLinear(b *testing.B) {
	g := benchModel(b)
	s, w, e := g.shape, g.w, g.shape.Embd
	const ctx = 64
	pool := g.NewKVPool(int64(ctx+16)*int64(s.Layers*2*e*4), 16)
	c := pool.NewSeq()
	c.Reserve(ctx + 1)
	c.Len = ctx
	batch := []Seq{{Cache: c, Tokens: []int{1}}}
	bf := &g.buf
	bf.rows = []int{0}
	bf.x, bf.h, bf.t = make([]float32, e), make([]float32, e), make([]float32, e)
	bf.qkv, bf.fc = make([]float32, 3*e), make([]float32, 4*e)
	last := make([]float32, e)
	cpu0 := processCPU()
	for b.Loop() {
		w.WTE.Row(1, bf.x)
		kernels.Add(bf.x, w.WPE[ctx*e:(ctx+1)*e])
		for l := range w.Blocks {
			bw := &w.Blocks[l]
			g.layerNorm(bf.h, bf.x, 1, bw.LN1Gamma, bw.LN1Beta)
			g.storeKV(batch, l)
			g.attention(batch, l)
			kernels.Add(bf.x, bf.t)
			g.layerNorm(bf.h, bf.x, 1, bw.LN2Gamma, bw.LN2Beta)
			g.gelu(bf.fc, 1)
			kernels.Add(bf.x, bf.t)
		}
		kernels.LayerNorm(last, bf.x, w.LNFGamma, w.LNFBeta, lnEps)
	}
	b.ReportMetric(b.Elapsed().Seconds()/float64(b.N)*1e3, "ms/token")
	reportCPU(b, cpu0, 1)
}

// phaseModels holds BenchmarkDecodePhases's synthetic gpt2 per weight
// format, built once.
var phaseModels sync.Map // kernels.Format → func() (*GPT2, error)

func phaseModel(b *testing.B, f kernels.Format) *GPT2 {
	if f == kernels.FP32 {
		return benchModel(b)
	}
	build, _ := phaseModels.LoadOrStore(f, sync.OnceValues(func() (*GPT2, error) {
		shape, err := ShapeByName("gpt2")
		if err != nil {
			return nil, err
		}
		return NewSynthetic(shape, 1, WithFormat(f))
	}))
	g, err := build.(func() (*GPT2, error))()
	if err != nil {
		b.Fatal(err)
	}
	return g
}

// phaseNames name the phases in the benchmarks' metrics.
var phaseNames = [numPhases]string{"embed", "layernorm", "qkv", "storekv", "attention", "proj", "add", "fc", "gelu", "fcproj", "logits"}

// BenchmarkPrefillPhases is BenchmarkPrefill with Forward's phase timers:
// where an FP32 gpt2 prefill of 128 tokens spends its time, in ms a
// prefill, and the products' rate against the FMA peak (-peak: the work
// they do over their time, over PeakFLOPS).
func BenchmarkPrefillPhases(b *testing.B) {
	g := benchModel(b)
	s := g.shape
	const n = 128
	pool := g.NewKVPool(kvBytes(s, n+16), 16)
	tokens := testTokens(n, 1)
	logits := make([]float32, s.Vocab)
	prefill := func() {
		c := pool.NewSeq()
		defer c.Release()
		c.Reserve(n)
		if err := g.Forward([]Seq{{Cache: c, Tokens: tokens, Logits: logits}}); err != nil {
			b.Fatal(err)
		}
	}
	prefill()
	peak := kernels.PeakFLOPS(200 * time.Millisecond)
	var sums phaseTimes
	g.timing = &sums
	defer func() { g.timing = nil }()
	for b.Loop() {
		prefill()
	}
	perOp := func(d time.Duration) float64 { return d.Seconds() / float64(b.N) }
	// Every block's products run over all n rows but the last block's
	// past QKV, which run over one (see GPT2.narrow).
	e, l := float64(s.Embd), float64(s.Layers)
	rows := func(full float64) float64 { return full*(l-1)*n + full }
	flops := map[phase]float64{
		phaseQKV:    2 * 3 * e * e * l * n,
		phaseProj:   2 * rows(e*e),
		phaseFC:     2 * rows(4*e*e),
		phaseFCProj: 2 * rows(4*e*e),
	}
	var total time.Duration
	for ph, name := range phaseNames {
		total += sums[ph]
		b.ReportMetric(perOp(sums[ph])*1e3, name+"-ms")
		if f := flops[phase(ph)]; f > 0 {
			b.ReportMetric(f/perOp(sums[ph])/peak, name+"-peak")
		}
	}
	b.ReportMetric(n/perOp(total), "tokens/s")
}

// BenchmarkDecodePhases decodes tokens 0–127 of gpt2, as
// BenchmarkDecode/batch=1 does, in every weight format with an FP32 and
// an FP16 KV cache, and reports where a token's time goes: each phase of
// Forward in µs a token (-us), and for the matrix products the fraction
// of the read bandwidth their weights' bytes account for (-bw: bytes ÷
// time ÷ bandwidth; the products' start and end count against it), with
// the whole token's fraction of the ceiling (ceiling-frac). Each 128-token
// round is set against the higher of two bandwidth passes around it;
// bw-GB/s is their mean, so on a machine whose bandwidth moves, compare
// runs that measured about the same. Run it with -benchtime 8x or so:
// one iteration is 128 tokens.
func BenchmarkDecodePhases(b *testing.B) {
	for _, f := range []kernels.Format{kernels.FP32, kernels.FP16, kernels.INT8, kernels.INT4} {
		for _, kv := range []kernels.Format{kernels.FP32, kernels.FP16} {
			b.Run(fmt.Sprintf("%s/kv=%s", f, kv), func(b *testing.B) { benchPhases(b, f, kv) })
		}
	}
}

func benchPhases(b *testing.B, f, kv kernels.Format) {
	g, err := New(phaseModel(b, f).w, WithKVCache(kv))
	if err != nil {
		b.Fatal(err)
	}
	const tg = 128
	sh, w := g.shape, g.w
	pool := g.NewKVPool(kvBytes(sh, 2*tg+32), 16)
	logits := make([]float32, sh.Vocab)
	decode := func() {
		c := pool.NewSeq()
		defer c.Release()
		c.Reserve(tg)
		tok := []int{1}
		for range tg {
			if err := g.Forward([]Seq{{Cache: c, Tokens: tok, Logits: logits}}); err != nil {
				b.Fatal(err)
			}
			tok[0] = Argmax(logits)
		}
	}
	decode() // faults in scratch, warms the pool
	p := probe()
	bw := func() float64 { return float64(p.Bytes()) / p.Pass().Seconds() }
	var sums phaseTimes
	g.timing = &sums
	defer func() { g.timing = nil }()
	var bwSum float64
	rounds := 0
	for b.Loop() {
		before := bw()
		decode()
		bwSum += max(before, bw())
		rounds++
	}
	band := bwSum / float64(rounds)
	tokens := float64(rounds * tg)
	var total time.Duration
	for _, d := range sums {
		total += d
	}
	perToken := func(d time.Duration) float64 { return d.Seconds() / tokens }
	bytes := map[phase]int64{}
	for l := range w.Blocks {
		bl := &w.Blocks[l]
		bytes[phaseQKV] += bl.Attn.Bytes()
		bytes[phaseProj] += bl.AttnProj[0].Bytes() + bl.AttnProj[1].Bytes()
		bytes[phaseFC] += bl.FC.Bytes()
		bytes[phaseFCProj] += bl.FCProj[0].Bytes() + bl.FCProj[1].Bytes()
	}
	bytes[phaseLogits] = w.WTE.Bytes()
	for ph, name := range phaseNames {
		b.ReportMetric(perToken(sums[ph])*1e6, name+"-us")
		if n := bytes[phase(ph)]; n > 0 {
			b.ReportMetric(float64(n)/perToken(sums[ph])/band, name+"-bw")
		}
	}
	b.ReportMetric(band/1e9, "bw-GB/s")
	b.ReportMetric(float64(decodeBytes(g.Info()))/band/perToken(total), "ceiling-frac")
}
