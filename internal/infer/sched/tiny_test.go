package sched

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/muaibench/muaibench/internal/infer"
)

// TestTinyBatchedEqualsUnbatched runs the real GPT-2 code ("tiny" shape,
// synthetic weights) greedily, batched and not. Greedy only: the model's
// logits move with the batch's composition (measured: 2.4e-7 at most
// between a sequence alone and beside another), so a seeded draw that
// lands within that distance of a boundary can flip. The scheduler itself
// is batch-invariant: TestBatchedEqualsUnbatched checks seeded sampling on
// a model whose logits do not depend on the batch.
func TestTinyBatchedEqualsUnbatched(t *testing.T) {
	t.Parallel()
	shape, err := infer.ShapeByName("tiny")
	if err != nil {
		t.Fatal(err)
	}
	run := func(opts Options) ([][]int, Stats) {
		m, err := infer.NewSynthetic(shape, 1)
		if err != nil {
			t.Fatal(err)
		}
		opts.PrefillChunk = 5 // several chunks for the longer prompts
		s := New(m, opts)
		start(t, s)
		var chans []<-chan Event
		for i := range 6 {
			prompt := []int{464, 2068, 7586, 21831, 18045, 625, 262, 16931, 3290, 13}[:1+i*2%10]
			ch, err := s.Submit(t.Context(), Request{Prompt: prompt, MaxTokens: 4 + 3*i, IgnoreEOS: true})
			if err != nil {
				t.Fatal(err)
			}
			chans = append(chans, ch)
		}
		var out [][]int
		for i, ch := range chans {
			r := collect(ch)
			if r.err != nil || len(r.tokens) != 4+3*i {
				t.Fatalf("request %d: %d tokens, err %v", i, len(r.tokens), r.err)
			}
			out = append(out, r.tokens)
		}
		return out, s.Stats()
	}
	batched, bst := run(Options{})
	single, sst := run(Options{NoBatching: true})
	if diff := cmp.Diff(single, batched); diff != "" {
		t.Errorf("batched differs from unbatched (-unbatched +batched):\n%s", diff)
	}
	if bst.Steps >= sst.Steps {
		t.Errorf("steps: batched %d, unbatched %d; batching should need fewer", bst.Steps, sst.Steps)
	}
	if bst.KVUsedBytes != 0 || sst.KVUsedBytes != 0 {
		t.Errorf("KV bytes held after the run: %d, %d", bst.KVUsedBytes, sst.KVUsedBytes)
	}
}
