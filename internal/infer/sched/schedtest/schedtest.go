// Package schedtest provides a deterministic fake infer.Model and a
// byte-level tokenizer, for tests of the scheduler and the server that
// must not depend on the real GPT-2.
package schedtest

import (
	"fmt"
	"hash/fnv"
	"sync"

	"github.com/muaibench/muaibench/internal/infer"
)

// Model is a deterministic infer.Model. It stores each token id in its KV
// cache (one layer, kvDim 1) and computes a position's logits from the
// history it reads back out of the cache blocks, so blocks mixed up
// between sequences change the output, and a batched run gives the same
// logits as an unbatched one.
type Model struct {
	Vocab, Context, EOS int
	// Next, when set, replaces the hash logits: it fills out from the
	// history (prompt and generated tokens so far). It may block, to hold
	// a step in place.
	Next func(hist []int, out []float32)

	mu        sync.Mutex
	calls     int
	maxSeqs   int
	maxTokens int
}

// NewModel returns a Model of vocab ids (the last is EOS) and a context of
// ctx tokens.
func NewModel(vocab, ctx int) *Model { return &Model{Vocab: vocab, Context: ctx, EOS: vocab - 1} }

// Info describes the fake.
func (m *Model) Info() infer.ModelInfo {
	return infer.ModelInfo{
		Shape:   infer.Shape{Name: "fake", Layers: 1, Heads: 1, Embd: 1, Context: m.Context, Vocab: m.Vocab},
		Weights: "synthetic", WeightsSHA256: "seed:0", Quantization: "fp32", Params: 1, EOS: m.EOS,
	}
}

// NewKVPool makes a pool of one layer, one float per token.
func (m *Model) NewKVPool(capacityBytes int64, blockTokens int) *infer.KVPool {
	return infer.NewKVPool(1, 1, blockTokens, capacityBytes)
}

// Calls returns the number of Forward calls and the most sequences and
// tokens any one of them carried.
func (m *Model) Calls() (calls, maxSeqs, maxTokens int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.calls, m.maxSeqs, m.maxTokens
}

// Forward stores the new tokens and fills the logits asked for.
func (m *Model) Forward(batch []infer.Seq) error {
	total := 0
	for _, b := range batch {
		total += len(b.Tokens)
	}
	m.mu.Lock()
	m.calls++
	m.maxSeqs = max(m.maxSeqs, len(batch))
	m.maxTokens = max(m.maxTokens, total)
	m.mu.Unlock()
	for _, b := range batch {
		c := b.Cache
		p := c.Pool()
		bt := p.BlockTokens()
		if need := (c.Len + len(b.Tokens) + bt - 1) / bt; need > len(c.Blocks) {
			return fmt.Errorf("schedtest: %d blocks reserved, need %d", len(c.Blocks), need)
		}
		for _, id := range b.Tokens {
			p.K(c.Blocks[c.Len/bt], 0)[c.Len%bt] = float32(id)
			c.Len++
		}
		if b.Logits == nil {
			continue
		}
		hist := make([]int, c.Len)
		for t := range hist {
			hist[t] = int(p.K(c.Blocks[t/bt], 0)[t%bt])
		}
		if m.Next != nil {
			m.Next(hist, b.Logits)
			continue
		}
		hashLogits(hist, b.Logits)
		if m.EOS >= 0 {
			b.Logits[m.EOS] = -20 // unlikely: sequences run to their length
		}
	}
	return nil
}

// hashLogits fills out with values in [-4, 4) that depend on every id of
// hist.
func hashLogits(hist []int, out []float32) {
	h := fnv.New64a()
	for _, id := range hist {
		fmt.Fprintf(h, "%d,", id)
	}
	seed := h.Sum64()
	for v := range out {
		x := seed ^ uint64(v)*0x9e3779b97f4a7c15
		x ^= x >> 31
		x *= 0xbf58476d1ce4e5b9
		x ^= x >> 29
		out[v] = float32(x%8000)/1000 - 4
	}
}

// Tokenizer is a byte-level tokenizer: id b < 256 is byte b, and 256 is
// EOS ("<|endoftext|>").
type Tokenizer struct{}

// Name is "bytes".
func (Tokenizer) Name() string { return "bytes" }

// Encode returns text's bytes as ids.
func (Tokenizer) Encode(text string) []int {
	ids := make([]int, len(text))
	for i := range len(text) {
		ids[i] = int(text[i])
	}
	return ids
}

// Decode returns the bytes of ids as text (EOS decodes to nothing).
func (t Tokenizer) Decode(ids []int) string {
	var b []byte
	for _, id := range ids {
		b = append(b, t.TokenBytes(id)...)
	}
	return string(b)
}

// TokenBytes returns byte id, or nil outside 0..255.
func (Tokenizer) TokenBytes(id int) []byte {
	if id < 0 || id > 255 {
		return nil
	}
	return []byte{byte(id)}
}

// VocabSize is 257.
func (Tokenizer) VocabSize() int { return 257 }

// EOS is 256.
func (Tokenizer) EOS() int { return 256 }
