package sched

import (
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/muaibench/muaibench/internal/infer"
)

// TestTinyBatchedEqualsUnbatched runs the real GPT-2 code ("tiny" shape,
// synthetic weights) batched and not, greedily and with seeded sampling at
// temperature 0.8. The model's logits are bitwise independent of the
// batch's composition and of how a prompt is chunked, so every seeded draw
// must agree too.
func TestTinyBatchedEqualsUnbatched(t *testing.T) {
	t.Parallel()
	for _, temp := range []float64{0, 0.8} {
		t.Run(fmt.Sprintf("temperature=%g", temp), func(t *testing.T) {
			t.Parallel()
			tinyBatchedEqualsUnbatched(t, temp)
		})
	}
}

func tinyBatchedEqualsUnbatched(t *testing.T, temp float64) {
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
			seed := int64(1000 + i)
			req := Request{Prompt: prompt, MaxTokens: 4 + 3*i, IgnoreEOS: true,
				Sampling: Sampling{Temperature: temp, Seed: &seed}}
			ch, err := s.Submit(t.Context(), req)
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
		st := s.Stats()
		// Every request reserved its prompt + max_tokens in whole blocks.
		pool := s.Pool()
		var want int64
		for i := range 6 {
			n := 1 + i*2%10 + 4 + 3*i
			want += int64((n+pool.BlockTokens()-1)/pool.BlockTokens()) * pool.BlockBytes()
		}
		if st.KVReservedBytes != want {
			t.Errorf("KV bytes reserved: %d, want %d", st.KVReservedBytes, want)
		}
		return out, st
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
