package infer

import (
	"fmt"
	"time"
)

// Speed is a model's measured prefill and decode rates on this machine.
type Speed struct {
	PromptTokens    int     `json:"prompt_tokens"`
	PrefillSeconds  float64 `json:"prefill_s"`
	PrefillTPS      float64 `json:"prefill_tokens_per_s"`
	DecodeTokens    int     `json:"decode_tokens"`
	DecodeSeconds   float64 `json:"decode_s"`
	DecodeTPS       float64 `json:"decode_tokens_per_s"`
	WeightBytes     int64   `json:"weight_bytes"`
	BandwidthBytesS float64 `json:"bandwidth_bytes_per_s,omitempty"`
	// CeilingTPS is bandwidth ÷ weight bytes read per decoded token: the
	// most a memory-bound decoder can do here. Zero when no bandwidth was
	// given.
	CeilingTPS float64 `json:"ceiling_tokens_per_s,omitempty"`
	// Fraction is DecodeTPS ÷ CeilingTPS.
	Fraction float64 `json:"fraction_of_ceiling,omitempty"`
}

// MeasureSpeed prefills one prompt of promptTokens tokens (logits for the
// last token only), then decodes decodeTokens tokens greedily one at a
// time, and times both. bandwidth (bytes/s, 0 if unknown) sets the decode
// ceiling.
func MeasureSpeed(m Model, promptTokens, decodeTokens int, bandwidth float64) (Speed, error) {
	info := m.Info()
	if promptTokens+decodeTokens > info.Shape.Context {
		return Speed{}, fmt.Errorf("infer: %d+%d tokens exceed the context of %d", promptTokens, decodeTokens, info.Shape.Context)
	}
	pool := m.NewKVPool(kvBytes(info.Shape, 2*(promptTokens+decodeTokens+16)), 16)
	seq := pool.NewSeq()
	defer seq.Release()
	if !seq.Reserve(promptTokens + decodeTokens) {
		return Speed{}, fmt.Errorf("infer: KV cache too small")
	}
	prompt := make([]int, promptTokens)
	for i := range prompt {
		prompt[i] = (i*7919 + 13) % info.Shape.Vocab
	}
	logits := make([]float32, info.Shape.Vocab)
	// One unmeasured pass of the same shape first: the first forward
	// call faults in scratch buffers and warms the worker pool.
	warm := pool.NewSeq()
	if !warm.Reserve(promptTokens + 1) {
		return Speed{}, fmt.Errorf("infer: KV cache too small")
	}
	err := m.Forward([]Seq{{Cache: warm, Tokens: prompt, Logits: logits}})
	if err == nil {
		err = m.Forward([]Seq{{Cache: warm, Tokens: prompt[:1], Logits: logits}})
	}
	warm.Release()
	if err != nil {
		return Speed{}, err
	}
	t0 := time.Now()
	if err := m.Forward([]Seq{{Cache: seq, Tokens: prompt, Logits: logits}}); err != nil {
		return Speed{}, err
	}
	prefill := time.Since(t0)
	tok := []int{Argmax(logits)}
	t0 = time.Now()
	for i := 0; i < decodeTokens; i++ {
		if err := m.Forward([]Seq{{Cache: seq, Tokens: tok, Logits: logits}}); err != nil {
			return Speed{}, err
		}
		tok[0] = Argmax(logits)
	}
	decode := time.Since(t0)
	s := Speed{
		PromptTokens: promptTokens, PrefillSeconds: prefill.Seconds(),
		PrefillTPS:   float64(promptTokens) / prefill.Seconds(),
		DecodeTokens: decodeTokens, DecodeSeconds: decode.Seconds(),
		DecodeTPS:   float64(decodeTokens) / decode.Seconds(),
		WeightBytes: info.WeightBytes, BandwidthBytesS: bandwidth,
	}
	if bandwidth > 0 && info.WeightBytes > 0 {
		s.CeilingTPS = bandwidth / float64(decodeBytes(info))
		s.Fraction = s.DecodeTPS / s.CeilingTPS
	}
	return s, nil
}

// decodeBytes is the weight bytes one decode step reads: every weight but
// the position embeddings (FP32 in every format), of which it reads one
// row.
func decodeBytes(info ModelInfo) int64 {
	sh := info.Shape
	return info.WeightBytes - int64(sh.Context)*int64(sh.Embd)*4
}

func kvBytes(sh Shape, tokens int) int64 {
	return int64(sh.Layers) * 2 * int64(sh.Embd) * 4 * int64(tokens)
}

// Argmax returns the index of the largest value of x, the first one on a
// tie: the greedy choice of a token from its logits.
func Argmax(x []float32) int {
	best := 0
	for i, v := range x {
		if v > x[best] {
			best = i
		}
	}
	return best
}
