package infer

import (
	"fmt"
	"slices"
	"strings"

	"github.com/muaibench/muaibench/internal/infer/kernels"
)

// Shapes of the GPT-2 family, plus "tiny" for tests. Every shape keeps
// GPT-2's vocabulary so the real tokenizer's ids stay in range.
var shapes = []Shape{
	{Name: "tiny", Layers: 2, Heads: 2, Embd: 64, Context: 128, Vocab: 50257},
	{Name: "gpt2", Layers: 12, Heads: 12, Embd: 768, Context: 1024, Vocab: 50257},
	{Name: "gpt2-medium", Layers: 24, Heads: 16, Embd: 1024, Context: 1024, Vocab: 50257},
	{Name: "gpt2-large", Layers: 36, Heads: 20, Embd: 1280, Context: 1024, Vocab: 50257},
	{Name: "gpt2-xl", Layers: 48, Heads: 25, Embd: 1600, Context: 1024, Vocab: 50257},
}

// gpt2EOS is GPT-2's <|endoftext|> token id.
const gpt2EOS = 50256

// ShapeByName returns the named GPT-2 shape: tiny, gpt2, gpt2-medium,
// gpt2-large or gpt2-xl.
func ShapeByName(name string) (Shape, error) {
	for _, s := range shapes {
		if s.Name == name {
			return s, nil
		}
	}
	return Shape{}, fmt.Errorf("infer: unknown model shape %q (known: %s)", name, strings.Join(ShapeNames(), ", "))
}

// ShapeNames lists the known shape names, smallest first.
func ShapeNames() []string {
	names := make([]string, len(shapes))
	for i, s := range shapes {
		names[i] = s.Name
	}
	return names
}

// Validate reports a shape that no GPT-2 model can have.
func (s Shape) Validate() error {
	switch {
	case s.Layers < 1 || s.Heads < 1 || s.Embd < 1 || s.Context < 1 || s.Vocab < 1:
		return fmt.Errorf("infer: shape %q: every dimension must be >= 1, got %+v", s.Name, s)
	case s.Embd%s.Heads != 0:
		return fmt.Errorf("infer: shape %q: n_embd %d is not a multiple of n_head %d", s.Name, s.Embd, s.Heads)
	}
	return nil
}

// HeadDim is the width of one attention head.
func (s Shape) HeadDim() int { return s.Embd / s.Heads }

// headSplit is the first head of the second of the two halves that a
// decode step's work is split in (see BlockWeights).
func (s Shape) headSplit() int { return s.Heads / 2 }

// qkvAt is where head h's query (part 0), key (1) or value (2) starts in
// a row of the QKV product: the first half's heads' queries, keys and
// values, then the second half's.
func (s Shape) qkvAt(part, h int) int {
	d, a, n := s.HeadDim(), 0, s.headSplit()
	if h >= n {
		a, n = n, s.Heads-n
	}
	return (3*a + part*n + h - a) * d
}

// splitsOnPanels says whether both halves of a decode step have heads and
// each half's share of the QKV and FC products starts on a panel of the
// kernels (and on a SIMD vector, for GELU).
func (s Shape) splitsOnPanels() bool {
	p := kernels.PanelCols
	return s.headSplit() > 0 && 3*s.headSplit()*s.HeadDim()%p == 0 && 2*s.Embd%p == 0
}

// qkvPerm maps each feature of a QKV row, in qkvAt's order, to the
// checkpoint's (all queries, all keys, all values).
func (s Shape) qkvPerm() []int {
	d := s.HeadDim()
	perm := make([]int, 3*s.Embd)
	for part := range 3 {
		for h := range s.Heads {
			for i := range d {
				perm[s.qkvAt(part, h)+i] = part*s.Embd + h*d + i
			}
		}
	}
	return perm
}

// Params is the number of parameters, with the LM head tied to the token
// embedding.
func (s Shape) Params() int64 {
	e, l := int64(s.Embd), int64(s.Layers)
	perLayer := 2*e + // ln_1
		e*3*e + 3*e + // c_attn
		e*e + e + // attn c_proj
		2*e + // ln_2
		e*4*e + 4*e + // c_fc
		4*e*e + e // mlp c_proj
	return int64(s.Vocab)*e + int64(s.Context)*e + l*perLayer + 2*e
}

// PrefillFLOPs is the floating-point operations (a multiply-add counts
// two) of prefilling n tokens into an empty cache with logits for the last
// one, as Forward does them: the linear layers for every token, causal
// attention's scores and weighted sums, and the LM head once, except that
// the last block runs past its QKV product for the last token only (see
// GPT2.narrow). LayerNorm, GELU and softmax, linear in n, are left out.
func (s Shape) PrefillFLOPs(n int) float64 {
	e, l, t := float64(s.Embd), float64(s.Layers), float64(n)
	linear := 2*t*12*e*e*(l-1) + 2*t*3*e*e + 2*9*e*e
	attention := 2*e*t*(t+1)*(l-1) + 4*e*t // QKᵀ and AV over n(n+1)/2 pairs, E wide; n in the last block
	return linear + attention + 2*float64(s.Vocab)*e
}

// knownShape returns the name of the known shape with these dimensions,
// or "" when none matches.
func knownShape(s Shape) string {
	i := slices.IndexFunc(shapes, func(k Shape) bool {
		return k.Layers == s.Layers && k.Heads == s.Heads && k.Embd == s.Embd &&
			k.Context == s.Context && k.Vocab == s.Vocab
	})
	if i < 0 {
		return ""
	}
	return shapes[i].Name
}
