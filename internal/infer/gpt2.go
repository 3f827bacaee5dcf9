package infer

import (
	"github.com/muaibench/muaibench/internal/infer/kernels"

	"context"
	"fmt"
	"sync"
)

// lnEps is GPT-2's LayerNorm epsilon.
const lnEps = 1e-5

// GPT2 is the GPT-2 forward pass over packed weights; it implements
// Model. Every Linear layer runs as one matrix multiply over all the
// batch's new tokens, except that a step of one token on two threads runs
// each block in two halves, one per thread (decodeBlock). Forward calls are serialised: the model reuses one
// set of scratch buffers, so a second call waits for the first.
type GPT2 struct {
	w       *Weights
	shape   Shape
	kvCache kernels.Format // FP32 or FP16
	// halves says whether a decode step can run in halves (decodeBlock):
	// each half's share of every product starts and ends on a panel.
	halves bool

	mu     sync.Mutex // serialises Forward, guards buf and timing
	buf    buffers
	timing *phaseTimes // nil but in benchmarks
}

var _ Model = (*GPT2)(nil)

// New returns a GPT-2 model over w. Of the options, only WithKVCache
// applies here: w is already built.
func New(w *Weights, opts ...Option) (*GPT2, error) {
	o := applyOptions(opts)
	if err := o.checkKVCache(); err != nil {
		return nil, err
	}
	if err := w.Shape.Validate(); err != nil {
		return nil, err
	}
	if w.WTE == nil || len(w.Blocks) != w.Shape.Layers {
		return nil, fmt.Errorf("gpt2: weights are incomplete for shape %s", w.Shape.Name)
	}
	return &GPT2{w: w, shape: w.Shape, kvCache: o.kvCache, halves: w.Shape.splitsOnPanels()}, nil
}

// NewSynthetic returns a GPT-2 model of the given shape with
// SyntheticWeights(shape, seed, opts...).
func NewSynthetic(shape Shape, seed uint64, opts ...Option) (*GPT2, error) {
	if err := applyOptions(opts).checkKVCache(); err != nil {
		return nil, err // before minutes of drawing weights
	}
	w, err := SyntheticWeights(shape, seed, opts...)
	if err != nil {
		return nil, err
	}
	return New(w, opts...)
}

// Load returns a GPT-2 model with the Hugging Face checkpoint in dir
// (config.json and model.safetensors); see LoadWeights.
func Load(ctx context.Context, dir string, opts ...Option) (*GPT2, error) {
	if err := applyOptions(opts).checkKVCache(); err != nil {
		return nil, err
	}
	w, err := LoadWeights(ctx, dir, opts...)
	if err != nil {
		return nil, err
	}
	return New(w, opts...)
}

// Weights returns the model's weights.
func (g *GPT2) Weights() *Weights { return g.w }

// Info describes the model.
func (g *GPT2) Info() ModelInfo {
	eos := gpt2EOS
	if g.shape.Vocab <= eos {
		eos = g.shape.Vocab - 1
	}
	return ModelInfo{
		Shape:         g.shape,
		Weights:       g.w.Source,
		WeightsSHA256: g.w.SHA256,
		Quantization:  g.w.Format.String(),
		KVCache:       g.kvCache.String(),
		Precision:     g.w.Precision(),
		WeightBytes:   g.w.Bytes(),
		Params:        g.shape.Params(),
		EOS:           eos,
	}
}

// NewKVPool makes a block KV cache for this model's layers and width.
func (g *GPT2) NewKVPool(capacityBytes int64, blockTokens int) *KVPool {
	return NewKVPoolFormat(g.kvCache, g.shape.Layers, g.shape.Embd, blockTokens, capacityBytes)
}

// checkBatch validates a batch before Forward touches anything, so that a
// rejected batch leaves every cache as it was. It returns the number of new
// tokens and of logits rows.
func (g *GPT2) checkBatch(batch []Seq) (tokens, logits int, err error) {
	s := g.shape
	for i, q := range batch {
		c := q.Cache
		switch {
		case c == nil || c.pool == nil:
			return 0, 0, fmt.Errorf("gpt2: seq %d: no cache", i)
		case c.pool.layers != s.Layers || c.pool.kvDim != s.Embd:
			return 0, 0, fmt.Errorf("gpt2: seq %d: cache is laid out for %d layers of width %d, model has %d of %d",
				i, c.pool.layers, c.pool.kvDim, s.Layers, s.Embd)
		case len(q.Tokens) == 0:
			return 0, 0, fmt.Errorf("gpt2: seq %d: no tokens", i)
		case c.Len+len(q.Tokens) > s.Context:
			return 0, 0, fmt.Errorf("gpt2: seq %d: %d cached + %d new tokens exceed the context of %d", i, c.Len, len(q.Tokens), s.Context)
		case len(c.Blocks)*c.pool.blockTokens < c.Len+len(q.Tokens):
			return 0, 0, fmt.Errorf("gpt2: seq %d: cache reserves %d tokens, needs %d", i, len(c.Blocks)*c.pool.blockTokens, c.Len+len(q.Tokens))
		case q.Logits != nil && len(q.Logits) != s.Vocab:
			return 0, 0, fmt.Errorf("gpt2: seq %d: logits buffer has %d entries, want %d", i, len(q.Logits), s.Vocab)
		}
		for _, t := range q.Tokens {
			if t < 0 || t >= s.Vocab {
				return 0, 0, fmt.Errorf("gpt2: seq %d: token %d outside the vocabulary of %d", i, t, s.Vocab)
			}
		}
		for j := range i {
			if batch[j].Cache == c {
				return 0, 0, fmt.Errorf("gpt2: seqs %d and %d share a cache", j, i)
			}
		}
		tokens += len(q.Tokens)
		if q.Logits != nil {
			logits++
		}
	}
	return tokens, logits, nil
}
