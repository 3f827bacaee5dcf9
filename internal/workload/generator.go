package workload

import (
	_ "embed"
	"errors"
	"fmt"
	"math/rand/v2"
	"sort"
	"strings"
	"sync/atomic"

	"github.com/muaibench/muaibench/internal/tokenizer"
)

//go:embed text/coriolanus.txt
var bundled string

// Corpus returns the bundled public-domain text that prompts are cut from.
func Corpus() string { return bundled }

// ErrTooLong is returned for a prompt longer than the corpus can give.
var ErrTooLong = errors.New("workload: prompt longer than the corpus allows")

// Options configure a Generator.
type Options struct {
	// Seed picks the offsets and instructions: the same seed gives the
	// same prompts.
	Seed int64
	// Text is the corpus prompts are cut from; empty means the bundled
	// text (Corpus).
	Text string
	// Instructions start prompts long enough to hold one (see Prompt); nil
	// means Instructions, an empty slice means none.
	Instructions []string
}

// Message is one chat message. It converts to engine.Message with a plain
// conversion: engine.Message(m).
type Message struct {
	Role    string `json:"role"`
	Content string `json:"content"`
}

// Generator makes prompts of exact token lengths for one tokenizer. It is
// safe for concurrent use.
type Generator struct {
	tok    tokenizer.Tokenizer
	seed   uint64
	ids    []int // the corpus, encoded
	starts []int // indices of ids that begin a word or a line
	instr  []instruction
	next   atomic.Uint64
}

type instruction struct {
	text   string // with the blank line that follows it
	tokens int
}

// slack is the number of corpus tokens kept in reserve past a prompt's
// estimated end, for the adjustments that make its length exact.
const slack = 16

// New encodes the corpus once with tok and returns a Generator.
func New(tok tokenizer.Tokenizer, opts Options) (*Generator, error) {
	text := opts.Text
	if text == "" {
		text = bundled
	}
	instr := opts.Instructions
	if instr == nil {
		instr = Instructions
	}
	g := &Generator{tok: tok, seed: uint64(opts.Seed), ids: tok.Encode(text)}
	if len(g.ids) <= slack {
		return nil, fmt.Errorf("workload: the corpus is only %d tokens with %s", len(g.ids), tok.Name())
	}
	for i, id := range g.ids {
		b := tok.TokenBytes(id)
		if i == 0 || len(b) > 1 && b[0] == ' ' && b[1] != ' ' {
			g.starts = append(g.starts, i)
		} else if p := tok.TokenBytes(g.ids[i-1]); len(p) > 0 && p[len(p)-1] == '\n' && len(b) > 0 && b[0] != '\n' {
			g.starts = append(g.starts, i)
		}
	}
	for _, s := range instr {
		s = strings.TrimSpace(s) + "\n\n"
		g.instr = append(g.instr, instruction{text: s, tokens: len(tok.Encode(s))})
	}
	return g, nil
}

// MaxTokens is the longest prompt the corpus can give, roughly: prompts up
// to this length always succeed.
func (g *Generator) MaxTokens() int { return len(g.ids) - 2*slack }

// Prompt returns the next prompt of exactly n tokens: each call starts at
// a different place in the corpus. A Generator's sequence of prompts is the
// same for the same seed; PromptAt gives one by index instead.
func (g *Generator) Prompt(n int) (string, error) {
	return g.PromptAt(g.next.Add(1)-1, n)
}

// Messages returns the next chat conversation: one user message whose
// content is exactly n tokens. The engine's chat template adds its own
// tokens; the exact count applies to the content.
func (g *Generator) Messages(n int) ([]Message, error) {
	return g.MessagesAt(g.next.Add(1)-1, n)
}

// MessagesAt is Messages for a given index.
func (g *Generator) MessagesAt(index uint64, n int) ([]Message, error) {
	p, err := g.PromptAt(index, n)
	if err != nil {
		return nil, err
	}
	return []Message{{Role: "user", Content: p}}, nil
}

// PromptAt returns prompt number index of exactly n tokens. Distinct
// indices start at distinct places in the corpus until every place that
// leaves room for n tokens has been used (thousands for n = 2048 with the
// bundled text and GPT-2); the same seed and index give the same prompt.
// Prompts of 32 tokens or more begin with an instruction when it takes no
// more than a quarter of them; shorter ones are corpus text only.
func (g *Generator) PromptAt(index uint64, n int) (string, error) {
	if n < 1 {
		return "", fmt.Errorf("workload: prompt length must be >= 1, got %d", n)
	}
	rng := rand.New(rand.NewPCG(g.seed, index))
	var in instruction
	if n >= 32 && len(g.instr) > 0 {
		if c := g.instr[rng.IntN(len(g.instr))]; 4*c.tokens <= n {
			in = c
		}
	}
	// The room asked for does not depend on the instruction, so that the
	// permutation below is the same for every index.
	need := n + slack
	count := sort.Search(len(g.starts), func(j int) bool { return g.starts[j]+need > len(g.ids) })
	if count == 0 {
		return "", fmt.Errorf("%w: a %d-token prompt needs more than the %d tokens of text (%s)", ErrTooLong, n, len(g.ids), g.tok.Name())
	}
	j := g.permute(index, uint64(count))
	// A cut that cannot be made exact at one start (rare: merges across
	// the cut) is retried at the following ones.
	for try := range min(count, 32) {
		if p, ok := g.fit(in, g.starts[(j+uint64(try))%uint64(count)], n); ok {
			return p, nil
		}
	}
	return "", fmt.Errorf("workload: could not cut a prompt of exactly %d tokens (%s)", n, g.tok.Name())
}

// permute maps index to a start in [0, count): a seeded affine map with a
// stride coprime to count, so count consecutive indices get distinct
// starts, spread over the whole text.
func (g *Generator) permute(index, count uint64) uint64 {
	mix := rand.New(rand.NewPCG(g.seed, 0x9e3779b97f4a7c15))
	base := mix.Uint64()
	stride := count*618/1000 + 1
	for gcd(stride, count) != 1 {
		stride++
	}
	return (base%count + index%count*stride) % count
}

func gcd(a, b uint64) uint64 {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

// fit cuts the corpus at start so that instruction plus text encodes to
// exactly n tokens, adjusting the cut for merges across its ends.
func (g *Generator) fit(in instruction, start, n int) (string, bool) {
	k := n - in.tokens
	tried := map[int]bool{}
	for range 8 {
		if k < 1 || start+k > len(g.ids) || tried[k] {
			return "", false
		}
		tried[k] = true
		body := strings.ToValidUTF8(g.tok.Decode(g.ids[start:start+k]), "")
		p := in.text + strings.TrimLeft(body, " ")
		m := len(g.tok.Encode(p))
		if m == n {
			return p, true
		}
		k += n - m
	}
	return "", false
}
