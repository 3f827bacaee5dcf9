package infer

import (
	"fmt"
	"slices"
	"time"

	"github.com/muaibench/muaibench/internal/infer/kernels"
)

// Speed is a model's measured prefill and decode rates on this machine.
type Speed struct {
	PromptTokens   int     `json:"prompt_tokens"`
	PrefillSeconds float64 `json:"prefill_s"`
	PrefillTPS     float64 `json:"prefill_tokens_per_s"`
	// PrefillFLOPS is Shape.PrefillFLOPs over the prefill's time.
	PrefillFLOPS    float64 `json:"prefill_flop_per_s"`
	DecodeTokens    int     `json:"decode_tokens"`
	DecodeSeconds   float64 `json:"decode_s"`
	DecodeTPS       float64 `json:"decode_tokens_per_s"`
	WeightBytes     int64   `json:"weight_bytes"`
	BandwidthBytesS float64 `json:"bandwidth_bytes_per_s,omitempty"`
	// CeilingTPS is bandwidth ÷ weight bytes read per decoded token: the
	// most a memory-bound decoder can do here. Zero when no probe was
	// given.
	CeilingTPS float64 `json:"ceiling_tokens_per_s,omitempty"`
	// Fraction is the median over the decode rounds of each round's rate
	// over the ceiling measured right around it; FractionMin and
	// FractionMax are the lowest and highest rounds.
	Fraction    float64 `json:"fraction_of_ceiling,omitempty"`
	FractionMin float64 `json:"fraction_of_ceiling_min,omitempty"`
	FractionMax float64 `json:"fraction_of_ceiling_max,omitempty"`
	Rounds      int     `json:"rounds,omitempty"`
}

// A Prober measures the machine's read bandwidth: one Pass reads Bytes
// bytes and returns the time it took (kernels.BandwidthProbe).
type Prober interface {
	Pass() time.Duration
	Bytes() int64
}

// roundTokens is the number of tokens timed between two probe passes.
const roundTokens = 8

// SettleTokens is the number of tokens MeasureSpeed decodes, untimed, in
// a scratch sequence after each probe pass before a round is timed.
// Decode right after a pass runs slow for several tokens, whatever the
// engine: on gpt2 INT8 at full bandwidth the first 8 tokens after a
// 512 MiB pass took 4.5–9% longer than the 24 after them (0.4–6% in
// every format when it is shared), so rounds of 8 timed straight
// after the passes read that much under the decode the passes are set
// against; 10 ms of spinning with no memory traffic did the same (5–9%),
// and 8 tokens of another sequence in between left 1–1.3%
// (BenchmarkDecodeAfterProbe, slow8-ratio).
const SettleTokens = 8

// MeasureSpeed prefills one prompt of promptTokens tokens (logits for the
// last token only), then decodes decodeTokens tokens greedily one at a
// time in a fresh sequence, positions 0 to decodeTokens−1 as llama-bench's
// tg runs do, and times both. With a probe, decode runs in rounds of a few
// tokens with a bandwidth pass before and after each: on a machine whose
// bandwidth moves with its neighbours' load (any shared VM), each round is
// set against the ceiling of its own moment, the higher of the two passes
// around it, and the fraction reported is the median round's. Between a
// pass and the round it precedes, SettleTokens tokens of a scratch
// sequence are decoded untimed, so that the round is not timed in the
// pass's wake.
func MeasureSpeed(m Model, promptTokens, decodeTokens int, probe Prober) (Speed, error) {
	info := m.Info()
	if promptTokens > info.Shape.Context || decodeTokens > info.Shape.Context {
		return Speed{}, fmt.Errorf("infer: %d prompt or %d decode tokens exceed the context of %d", promptTokens, decodeTokens, info.Shape.Context)
	}
	pool := m.NewKVPool(kvBytes(info.Shape, 2*(promptTokens+decodeTokens+16)+SettleTokens+32), 16)
	seq := pool.NewSeq()
	defer seq.Release()
	if !seq.Reserve(promptTokens) {
		return Speed{}, fmt.Errorf("infer: KV cache too small")
	}
	prompt := make([]int, promptTokens)
	for i := range prompt {
		prompt[i] = (i*7919 + 13) % info.Shape.Vocab
	}
	logits := make([]float32, info.Shape.Vocab)
	// One unmeasured pass of each shape first: the first forward call
	// faults in scratch buffers and warms the worker pool.
	warm := pool.NewSeq()
	if !warm.Reserve(max(promptTokens, 1)) {
		return Speed{}, fmt.Errorf("infer: KV cache too small")
	}
	err := m.Forward([]Seq{{Cache: warm, Tokens: prompt, Logits: logits}})
	warm.Release()
	if err == nil && decodeTokens > 0 {
		warm = pool.NewSeq()
		warm.Reserve(1)
		err = m.Forward([]Seq{{Cache: warm, Tokens: []int{0}, Logits: logits}})
		warm.Release()
	}
	if err != nil {
		return Speed{}, err
	}
	t0 := time.Now()
	if err := m.Forward([]Seq{{Cache: seq, Tokens: prompt, Logits: logits}}); err != nil {
		return Speed{}, err
	}
	prefill := time.Since(t0)
	s := Speed{
		PromptTokens: promptTokens, PrefillSeconds: prefill.Seconds(),
		PrefillTPS:   float64(promptTokens) / prefill.Seconds(),
		PrefillFLOPS: info.Shape.PrefillFLOPs(promptTokens) / prefill.Seconds(),
		DecodeTokens: decodeTokens, WeightBytes: info.WeightBytes,
	}
	perToken := float64(decodeBytes(info))
	var fracs, bws []float64
	bw := func() float64 { return float64(probe.Bytes()) / probe.Pass().Seconds() }
	if probe != nil && probe.Bytes() <= 0 {
		probe = nil // a nil *kernels.BandwidthProbe too
	}
	var before float64
	if probe != nil {
		before = bw()
	}
	tok := []int{Argmax(logits)}
	dec := pool.NewSeq()
	defer dec.Release()
	if !dec.Reserve(decodeTokens) {
		return Speed{}, fmt.Errorf("infer: KV cache too small")
	}
	var decode time.Duration
	for done := 0; done < decodeTokens; {
		k := min(roundTokens, decodeTokens-done)
		if probe != nil {
			if err := settle(m, pool, logits); err != nil {
				return Speed{}, err
			}
		}
		t0 := time.Now()
		for range k {
			if err := m.Forward([]Seq{{Cache: dec, Tokens: tok, Logits: logits}}); err != nil {
				return Speed{}, err
			}
			tok[0] = Argmax(logits)
		}
		d := time.Since(t0)
		decode += d
		done += k
		if probe != nil {
			after := bw()
			ceil := max(before, after)
			bws = append(bws, ceil)
			fracs = append(fracs, float64(k)/d.Seconds()/(ceil/perToken))
			before = after
		}
	}
	s.DecodeSeconds = decode.Seconds()
	if decodeTokens > 0 {
		s.DecodeTPS = float64(decodeTokens) / decode.Seconds()
	}
	if len(fracs) > 0 && perToken > 0 {
		s.BandwidthBytesS = median(bws)
		s.CeilingTPS = s.BandwidthBytesS / perToken
		s.Fraction = median(fracs)
		s.FractionMin, s.FractionMax = slices.Min(fracs), slices.Max(fracs)
		s.Rounds = len(fracs)
	}
	return s, nil
}

// settle decodes SettleTokens tokens, untimed, in a sequence of its own.
func settle(m Model, pool *KVPool, logits []float32) error {
	c := pool.NewSeq()
	defer c.Release()
	if !c.Reserve(SettleTokens) {
		return fmt.Errorf("infer: KV cache too small")
	}
	tok := []int{0}
	for range SettleTokens {
		// With logits, as the timed tokens: the LM head is read too.
		if err := m.Forward([]Seq{{Cache: c, Tokens: tok, Logits: logits}}); err != nil {
			return err
		}
	}
	return nil
}

// median returns the median of x, which it sorts.
func median(x []float64) float64 {
	slices.Sort(x)
	n := len(x)
	if n%2 == 1 {
		return x[n/2]
	}
	return (x[n/2-1] + x[n/2]) / 2
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
// tie, NaNs never the largest: the greedy choice of a token from its
// logits (kernels.Argmax).
func Argmax(x []float32) int { return kernels.Argmax(x) }
