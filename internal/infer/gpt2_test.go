package infer

import (
	"strings"
	"testing"
)

func testModel(t *testing.T, seed uint64) *GPT2 {
	t.Helper()
	g, err := New(testWeights(t, seed))
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func testTokens(n int, seed int) []int {
	toks := make([]int, n)
	for i := range toks {
		toks[i] = (seed*7919 + i*104729) % 50257
	}
	return toks
}

// run feeds tokens to a fresh sequence in chunks of the given sizes (the
// last one repeated) and returns the logits after each chunk.
func run(t *testing.T, g *GPT2, pool *KVPool, tokens []int, chunks []int) [][]float32 {
	t.Helper()
	c := pool.NewSeq()
	defer c.Release()
	var out [][]float32
	for i, k := 0, 0; i < len(tokens); k++ {
		n := min(chunks[min(k, len(chunks)-1)], len(tokens)-i)
		if !c.Reserve(n) {
			t.Fatalf("pool out of blocks at token %d", i)
		}
		logits := make([]float32, g.shape.Vocab)
		if err := g.Forward([]Seq{{Cache: c, Tokens: tokens[i : i+n], Logits: logits}}); err != nil {
			t.Fatal(err)
		}
		i += n
		if c.Len != i {
			t.Fatalf("after %d tokens: got Cache.Len %d, want %d", i, c.Len, i)
		}
		out = append(out, logits)
	}
	return out
}

func TestForwardMatchesReference(t *testing.T) {
	g := testModel(t, 1)
	ref := newRefModel(t, g.w)
	tokens := testTokens(24, 3)
	want := ref.logits(tokens)
	tests := []struct {
		name        string
		blockTokens int
		chunks      []int
	}{
		{"prefill", 16, []int{24}},
		{"prefill then decode", 16, []int{7, 1}},
		{"decode from the first token", 4, []int{1}},
		{"chunked prefill", 4, []int{5}},
		{"chunks across blocks", 3, []int{2, 7, 1, 4}},
	}
	for _, tc := range tests {
		for _, parallel := range []bool{false, true} {
			name := tc.name
			if parallel {
				name += " in parallel"
			}
			t.Run(name, func(t *testing.T) {
				if parallel {
					defer func(w int) { attnParallelWork = w }(attnParallelWork)
					attnParallelWork = 0
				}
				checkAgainstReference(t, g, tokens, want, tc.blockTokens, tc.chunks)
			})
		}
	}
}

func checkAgainstReference(t *testing.T, g *GPT2, tokens []int, want [][]float64, blockTokens int, chunks []int) {
	t.Helper()
	pool := g.NewKVPool(1<<20, blockTokens)
	got := run(t, g, pool, tokens, chunks)
	pos := 0
	for k, logits := range got {
		pos += min(chunks[min(k, len(chunks)-1)], len(tokens)-pos)
		if d := maxDiff(logits, want[pos-1]); d > 1e-4 {
			t.Errorf("logits after %d tokens: got max |diff| %g from the reference, want <= 1e-4", pos, d)
		}
	}
	if n := pool.FreeBlocks(); n != pool.TotalBlocks() {
		t.Errorf("got %d free blocks after release, want %d", n, pool.TotalBlocks())
	}
}

func TestForwardBatchEqualsAlone(t *testing.T) {
	g := testModel(t, 2)
	pool := g.NewKVPool(1<<22, 8)
	type seqCase struct {
		prompt, step []int // step: the tokens of the batched step
		logits       bool
	}
	cases := []seqCase{
		{prompt: testTokens(9, 1), step: testTokens(1, 2), logits: true},   // decode
		{prompt: nil, step: testTokens(13, 3), logits: true},               // whole prefill
		{prompt: testTokens(17, 4), step: testTokens(6, 5), logits: false}, // chunk, no logits
		{prompt: testTokens(3, 6), step: testTokens(1, 7), logits: true},   // decode
	}
	alone := make([][]float32, len(cases))
	batch := make([]Seq, len(cases))
	for i, sc := range cases {
		all := append(append([]int{}, sc.prompt...), sc.step...)
		alone[i] = run(t, g, pool, all, []int{len(all)})[0]
		c := pool.NewSeq()
		defer c.Release()
		if len(sc.prompt) > 0 {
			c.Reserve(len(sc.prompt))
			if err := g.Forward([]Seq{{Cache: c, Tokens: sc.prompt}}); err != nil {
				t.Fatal(err)
			}
		}
		c.Reserve(len(sc.step))
		batch[i] = Seq{Cache: c, Tokens: sc.step}
		if sc.logits {
			batch[i].Logits = make([]float32, g.shape.Vocab)
		}
	}
	defer func(w int) { attnParallelWork = w }(attnParallelWork)
	attnParallelWork = 0 // alone ran on one goroutine, the batch runs on all
	if err := g.Forward(batch); err != nil {
		t.Fatal(err)
	}
	for i, q := range batch {
		if want := len(cases[i].prompt) + len(cases[i].step); q.Cache.Len != want {
			t.Errorf("seq %d: got Cache.Len %d, want %d", i, q.Cache.Len, want)
		}
		if q.Logits == nil {
			continue
		}
		var d float64
		for j, v := range q.Logits {
			d = max(d, float64(abs32(v-alone[i][j])))
		}
		if d > 1e-4 {
			t.Errorf("seq %d: batched logits differ from alone by %g, want <= 1e-4", i, d)
		}
	}
}

func abs32(x float32) float32 {
	if x < 0 {
		return -x
	}
	return x
}

func TestForwardRejects(t *testing.T) {
	g := testModel(t, 3)
	pool := g.NewKVPool(1<<20, 16)
	other := NewKVPool(1, 64, 16, 1<<20)
	reserved := func(n int) *SeqCache {
		c := pool.NewSeq()
		c.Reserve(n)
		return c
	}
	shared := reserved(2)
	full := reserved(g.shape.Context)
	full.Len = g.shape.Context
	tests := []struct {
		name  string
		batch []Seq
		want  string
	}{
		{"no cache", []Seq{{Tokens: []int{1}}}, "no cache"},
		{"no tokens", []Seq{{Cache: reserved(1)}}, "no tokens"},
		{"token out of range", []Seq{{Cache: reserved(1), Tokens: []int{50257}}}, "outside the vocabulary"},
		{"negative token", []Seq{{Cache: reserved(1), Tokens: []int{-1}}}, "outside the vocabulary"},
		{"not reserved", []Seq{{Cache: pool.NewSeq(), Tokens: []int{1}}}, "reserves 0 tokens"},
		{"past the context", []Seq{{Cache: full, Tokens: []int{1}}}, "exceed the context"},
		{"short logits", []Seq{{Cache: reserved(1), Tokens: []int{1}, Logits: make([]float32, 10)}}, "logits buffer"},
		{"wrong pool", []Seq{{Cache: other.NewSeq(), Tokens: []int{1}}}, "laid out for 1 layers"},
		{"shared cache", []Seq{{Cache: shared, Tokens: []int{1}}, {Cache: shared, Tokens: []int{2}}}, "share a cache"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			lens := make([]int, len(tc.batch))
			for i, q := range tc.batch {
				if q.Cache != nil {
					lens[i] = q.Cache.Len
				}
			}
			err := g.Forward(tc.batch)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got error %v, want one containing %q", err, tc.want)
			}
			for i, q := range tc.batch {
				if q.Cache != nil && q.Cache.Len != lens[i] {
					t.Errorf("seq %d: Cache.Len moved from %d to %d on a rejected batch", i, lens[i], q.Cache.Len)
				}
			}
		})
	}
}

func TestForwardEmptyBatch(t *testing.T) {
	g := testModel(t, 4)
	if err := g.Forward(nil); err != nil {
		t.Errorf("got %v for an empty batch, want nil", err)
	}
}

func TestInfo(t *testing.T) {
	shape, _ := ShapeByName("tiny")
	g, err := NewSynthetic(shape, 42)
	if err != nil {
		t.Fatal(err)
	}
	info := g.Info()
	if info.Weights != "synthetic" || info.WeightsSHA256 != "42" || info.EOS != 50256 || info.Quantization != "fp32" {
		t.Errorf("got %+v, want synthetic weights, seed 42, EOS 50256, fp32", info)
	}
	if info.Params != shape.Params() {
		t.Errorf("got Params %d, want %d", info.Params, shape.Params())
	}
	if min := info.Params * 4; info.WeightBytes < min || info.WeightBytes > min*11/10 {
		t.Errorf("got WeightBytes %d, want about %d", info.WeightBytes, min)
	}
}

func TestShapes(t *testing.T) {
	tests := []struct {
		name   string
		params int64 // as Hugging Face counts them, LM head tied
	}{
		{"gpt2", 124439808},
		{"gpt2-medium", 354823168},
		{"gpt2-large", 774030080},
		{"gpt2-xl", 1557611200},
	}
	for _, tc := range tests {
		s, err := ShapeByName(tc.name)
		if err != nil {
			t.Fatal(err)
		}
		if got := s.Params(); got != tc.params {
			t.Errorf("%s: got %d params, want %d", tc.name, got, tc.params)
		}
		if err := s.Validate(); err != nil {
			t.Errorf("%s: %v", tc.name, err)
		}
	}
	if _, err := ShapeByName("gpt5"); err == nil || !strings.Contains(err.Error(), "gpt2-medium") {
		t.Errorf("got %v, want an error listing the known shapes", err)
	}
}
