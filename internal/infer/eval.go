package infer

import (
	"context"
	"errors"
	"fmt"
	"math"
)

// EvalOptions configure Evaluate.
type EvalOptions struct {
	// Window is the most tokens of context a prediction sees; 0 or more
	// than the model's context means the model's context.
	Window int
	// Stride is how far the window moves each step; every token is
	// scored once, in the first window that reaches it, with the context
	// that window gives it. 0 means Window/2.
	Stride int
}

// EvalResult is the quality of a model's next-token predictions over a
// text, and how far they are from a reference model's (FP32) on the same
// windows.
type EvalResult struct {
	Quantization string `json:"quantization"`
	// KVCache is the evaluated model's KV cache format; the reference's
	// is its own (fp32 in muaibench eval).
	KVCache string `json:"kv_cache_dtype"`
	// Weights is "synthetic" or the checkpoint path; numbers over
	// synthetic weights measure the format's error, not language quality.
	Weights   string `json:"weights"`
	Synthetic bool   `json:"synthetic"`
	Window    int    `json:"window"`
	Stride    int    `json:"stride"`
	// Tokens is the number of tokens scored (all but the first).
	Tokens int `json:"tokens"`
	// Perplexity is exp of the mean negative log-likelihood of the scored
	// tokens; RefPerplexity is the reference model's.
	Perplexity    float64 `json:"perplexity"`
	RefPerplexity float64 `json:"ref_perplexity"`
	// MeanKL is the mean over scored tokens of KL(P_ref ‖ P) in nats.
	MeanKL float64 `json:"mean_kl"`
	// Top1Agreement is the fraction of tokens whose most likely next token
	// is the same under both models.
	Top1Agreement float64 `json:"top1_agreement"`
}

// Evaluate scores g's next-token predictions over tokens with a sliding
// window, against ref's on the same windows. Each window prefills its
// context, then decodes one token at a time, both models in step, so
// neither the text's logits nor a second copy of either model is held.
func Evaluate(ctx context.Context, g, ref *GPT2, tokens []int, o EvalOptions) (EvalResult, error) {
	if g.shape != ref.shape {
		return EvalResult{}, fmt.Errorf("eval: model shape %s differs from the reference's %s", g.shape.Name, ref.shape.Name)
	}
	if len(tokens) < 2 {
		return EvalResult{}, errors.New("eval: the text needs at least 2 tokens")
	}
	win := o.Window
	if win <= 0 || win > g.shape.Context {
		win = g.shape.Context
	}
	stride := o.Stride
	if stride <= 0 || stride > win {
		stride = max(1, win/2)
	}
	info := g.Info()
	res := EvalResult{Quantization: info.Quantization, KVCache: info.KVCache, Weights: info.Weights, Synthetic: info.Weights == "synthetic",
		Window: win, Stride: stride}
	a, b := newEvalSeq(g, win), newEvalSeq(ref, win)
	var nll, nllRef, kl float64
	agree := 0
	next := 1 // the first token not scored yet
	for begin := 0; next < len(tokens); begin += stride {
		end := min(begin+win, len(tokens))
		if next >= end {
			continue
		}
		first := max(next, begin+1)
		a.reset()
		b.reset()
		for t, ctxTok := first, tokens[begin:first]; t < end; t, ctxTok = t+1, tokens[t:t+1] {
			if err := ctx.Err(); err != nil {
				return EvalResult{}, err
			}
			if err := a.feed(ctxTok); err != nil {
				return EvalResult{}, err
			}
			if err := b.feed(ctxTok); err != nil {
				return EvalResult{}, err
			}
			lp, lq := logSoftmax(b.logits, b.lp), logSoftmax(a.logits, a.lp)
			nll -= lq[tokens[t]]
			nllRef -= lp[tokens[t]]
			var d float64
			for i, p := range lp {
				d += math.Exp(p) * (p - lq[i])
			}
			kl += d
			if Argmax(a.logits) == Argmax(b.logits) {
				agree++
			}
			res.Tokens++
		}
		next = end
	}
	n := float64(res.Tokens)
	res.Perplexity, res.RefPerplexity = math.Exp(nll/n), math.Exp(nllRef/n)
	res.MeanKL, res.Top1Agreement = kl/n, float64(agree)/n
	return res, nil
}

// evalSeq is one model's sequence over a window.
type evalSeq struct {
	g      *GPT2
	pool   *KVPool
	c      *SeqCache
	logits []float32
	lp     []float64
}

func newEvalSeq(g *GPT2, win int) *evalSeq {
	const blockTokens = 16
	bytes := int64(win+blockTokens) * int64(g.shape.Layers*2*g.shape.Embd*4)
	pool := g.NewKVPool(bytes, blockTokens)
	return &evalSeq{g: g, pool: pool, c: pool.NewSeq(), logits: make([]float32, g.shape.Vocab), lp: make([]float64, g.shape.Vocab)}
}

func (s *evalSeq) reset() {
	s.c.Release()
	s.c = s.pool.NewSeq()
}

func (s *evalSeq) feed(toks []int) error {
	if !s.c.Reserve(len(toks)) {
		return errors.New("eval: KV cache too small for the window")
	}
	return s.g.Forward([]Seq{{Cache: s.c, Tokens: toks, Logits: s.logits}})
}

// logSoftmax writes log softmax(x) into out, in float64.
func logSoftmax(x []float32, out []float64) []float64 {
	mx := math.Inf(-1)
	for _, v := range x {
		mx = max(mx, float64(v))
	}
	var s float64
	for _, v := range x {
		s += math.Exp(float64(v) - mx)
	}
	lse := mx + math.Log(s)
	for i, v := range x {
		out[i] = float64(v) - lse
	}
	return out
}
