package infer

import (
	"fmt"
	"testing"

	"github.com/muaibench/muaibench/internal/infer/kernels"
)

// TestForwardBitwiseInvariant checks that a sequence's logits are bitwise
// the same (==, not within a tolerance) however it is fed: prefilled whole
// or in chunks of any size, decoded token by token (in two halves, or
// each product over three threads), alone or in a batch beside decodes
// and prefills of other sequences, on one goroutine or several, on every kernel path and in every weight format. Seeded sampling then draws the same
// tokens batched and unbatched.
func TestForwardBitwiseInvariant(t *testing.T) {
	tokens := testTokens(23, 9)
	defer func(w int) { attnParallelWork = w }(attnParallelWork)
	defer kernels.SetImpl(kernels.Impl())
	shape, _ := ShapeByName("tiny")
	for _, f := range []kernels.Format{kernels.FP32, kernels.FP16, kernels.INT8, kernels.INT4} {
		g := testModel(t, 5)
		if f != kernels.FP32 {
			var err error
			if g, err = NewSynthetic(shape, 5, WithFormat(f)); err != nil {
				t.Fatal(err)
			}
		}
		forwardInvariant(t, g, f.String(), tokens)
	}
	// An FP16 KV cache rounds what it stores, the same way whatever the
	// batching, so its logits are as invariant.
	for _, f := range []kernels.Format{kernels.FP32, kernels.INT8} {
		g, err := NewSynthetic(shape, 5, WithFormat(f), WithKVCache(kernels.FP16))
		if err != nil {
			t.Fatal(err)
		}
		forwardInvariant(t, g, f.String()+"/kv-fp16", tokens)
	}
}

// forwardInvariant runs TestForwardBitwiseInvariant's checks on g, on
// every kernel path.
func forwardInvariant(t *testing.T, g *GPT2, name string, tokens []int) {
	for _, impl := range kernels.Impls() {
		t.Run(name+"/"+impl, func(t *testing.T) {
			if err := kernels.SetImpl(impl); err != nil {
				t.Fatal(err)
			}
			attnParallelWork = 1 << 30
			pool := g.NewKVPool(1<<22, 4)
			// want[p] is the logits after tokens[:p+1], decoded one by
			// one: on two threads, in halves (decodeBlock), and the same
			// on one (the halves in turn) and on three (each product
			// spread over all of them).
			defer kernels.SetThreads(kernels.Threads())
			kernels.SetThreads(2)
			want := run(t, g, pool, tokens, []int{1})
			for _, n := range []int{1, 3} {
				kernels.SetThreads(n)
				for p, logits := range run(t, g, pool, tokens, []int{1}) {
					requireEqual(t, fmt.Sprintf("decoded on %d threads, after %d tokens", n, p+1), logits, want[p])
				}
			}
			kernels.SetThreads(2)
			chunkings := [][]int{{23}, {5}, {7, 1}, {2, 9, 1, 11}, {16, 3}}
			for _, chunks := range chunkings {
				got := run(t, g, pool, tokens, chunks)
				pos := 0
				for k, logits := range got {
					pos += min(chunks[min(k, len(chunks)-1)], len(tokens)-pos)
					requireEqual(t, fmt.Sprintf("chunks %v, after %d tokens", chunks, pos), logits, want[pos-1])
				}
			}
			// The same steps in a batch, beside a decode and a prefill of
			// other sequences, attention spread over every core.
			attnParallelWork = 0
			for _, split := range []int{1, 6, 22} {
				c := pool.NewSeq()
				other1, other2 := pool.NewSeq(), pool.NewSeq()
				c.Reserve(len(tokens))
				other1.Reserve(40)
				other2.Reserve(40)
				prefill := func(s *SeqCache, toks []int) {
					if err := g.Forward([]Seq{{Cache: s, Tokens: toks}}); err != nil {
						t.Fatal(err)
					}
				}
				prefill(other1, testTokens(11, 4))
				prefill(c, tokens[:split])
				logits := make([]float32, g.shape.Vocab)
				batch := []Seq{
					{Cache: other1, Tokens: testTokens(1, 6), Logits: make([]float32, g.shape.Vocab)},
					{Cache: c, Tokens: tokens[split:], Logits: logits},
					{Cache: other2, Tokens: testTokens(17, 7), Logits: make([]float32, g.shape.Vocab)},
				}
				if err := g.Forward(batch); err != nil {
					t.Fatal(err)
				}
				requireEqual(t, fmt.Sprintf("batched after a prefill of %d", split), logits, want[len(tokens)-1])
				c.Release()
				other1.Release()
				other2.Release()
			}
		})
	}
}

func requireEqual(t *testing.T, what string, got, want []float32) {
	t.Helper()
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("%s: logit %d = %.9g, want %.9g bitwise", what, i, got[i], want[i])
		}
	}
}
