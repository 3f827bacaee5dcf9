package workload

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/muaibench/muaibench/internal/tokenizer"
)

func gpt2(tb testing.TB) *tokenizer.BPE {
	tb.Helper()
	tok, err := tokenizer.GPT2()
	if err != nil {
		tb.Fatal(err)
	}
	return tok
}

func newGen(tb testing.TB, seed int64) *Generator {
	tb.Helper()
	g, err := New(gpt2(tb), Options{Seed: seed})
	if err != nil {
		tb.Fatal(err)
	}
	return g
}

func TestPromptExactLength(t *testing.T) {
	t.Parallel()
	tok := gpt2(t)
	for _, n := range []int{1, 2, 16, 31, 32, 128, 512, 1024, 2048} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			t.Parallel()
			for seed := range int64(6) {
				g := newGen(t, seed)
				for i := range uint64(12) {
					p, err := g.PromptAt(i*7919, n)
					if err != nil {
						t.Fatalf("seed %d index %d: %v", seed, i, err)
					}
					if got := len(tok.Encode(p)); got != n {
						t.Fatalf("seed %d index %d: prompt has %d tokens, want %d: %.80q", seed, i, got, n, p)
					}
				}
			}
		})
	}
}

func TestPromptsDiffer(t *testing.T) {
	t.Parallel()
	for _, n := range []int{16, 128, 2048} {
		g := newGen(t, 1)
		seen := map[string]uint64{}
		for i := range uint64(300) {
			p, err := g.Prompt(n)
			if err != nil {
				t.Fatal(err)
			}
			if j, ok := seen[p]; ok {
				t.Fatalf("n=%d: prompts %d and %d are the same: %.80q", n, j, i, p)
			}
			seen[p] = i
		}
	}
}

// TestPromptsDivergeEarly checks that prompts share at most their
// instruction: the corpus text after it starts at a different place.
func TestPromptsDivergeEarly(t *testing.T) {
	t.Parallel()
	g := newGen(t, 3)
	bodies := map[string]bool{}
	for range 200 {
		p, err := g.Prompt(1024)
		if err != nil {
			t.Fatal(err)
		}
		_, body, ok := strings.Cut(p, "\n\n")
		if !ok {
			t.Fatalf("prompt has no instruction: %.80q", p)
		}
		head := body[:40]
		if bodies[head] {
			t.Fatalf("two prompts' text starts with %q", head)
		}
		bodies[head] = true
	}
}

func TestPromptDeterministic(t *testing.T) {
	t.Parallel()
	a, b, c := newGen(t, 42), newGen(t, 42), newGen(t, 43)
	for i := range 20 {
		pa, err := a.Prompt(256)
		if err != nil {
			t.Fatal(err)
		}
		pb, _ := b.Prompt(256)
		pc, _ := c.Prompt(256)
		if pa != pb {
			t.Fatalf("call %d: same seed gave different prompts:\n%.80q\n%.80q", i, pa, pb)
		}
		if pa == pc {
			t.Errorf("call %d: seeds 42 and 43 gave the same prompt", i)
		}
		if at, _ := a.PromptAt(uint64(i), 256); at != pa {
			t.Fatalf("PromptAt(%d) differs from call %d of Prompt", i, i)
		}
	}
}

func TestPromptErrors(t *testing.T) {
	t.Parallel()
	g := newGen(t, 0)
	if _, err := g.Prompt(g.MaxTokens()); err != nil {
		t.Errorf("Prompt(MaxTokens()=%d): %v", g.MaxTokens(), err)
	}
	_, err := g.Prompt(g.MaxTokens() + 100)
	if !errors.Is(err, ErrTooLong) {
		t.Errorf("Prompt(MaxTokens()+100) error = %v, want ErrTooLong", err)
	}
	for _, n := range []int{0, -3} {
		if _, err := g.Prompt(n); err == nil {
			t.Errorf("Prompt(%d) succeeded", n)
		}
	}
	if _, err := New(gpt2(t), Options{Text: "too short"}); err == nil {
		t.Error("New with a 2-token corpus succeeded")
	}
}

func TestPromptOwnText(t *testing.T) {
	t.Parallel()
	tok := gpt2(t)
	text := strings.Repeat("Grüße aus Köln, où l'été est très chaud — 夏はとても暑いです。\n", 80)
	g, err := New(tok, Options{Seed: 5, Text: text, Instructions: []string{}})
	if err != nil {
		t.Fatal(err)
	}
	for i := range uint64(50) {
		for _, n := range []int{1, 7, 64, 300} {
			p, err := g.PromptAt(i, n)
			if err != nil {
				t.Fatalf("PromptAt(%d, %d): %v", i, n, err)
			}
			if got := len(tok.Encode(p)); got != n {
				t.Fatalf("PromptAt(%d, %d) has %d tokens", i, n, got)
			}
		}
	}
}

func TestMessages(t *testing.T) {
	t.Parallel()
	tok := gpt2(t)
	g := newGen(t, 9)
	msgs, err := g.Messages(200)
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) != 1 || msgs[0].Role != "user" {
		t.Fatalf("Messages = %+v, want one user message", msgs)
	}
	if got := len(tok.Encode(msgs[0].Content)); got != 200 {
		t.Errorf("content has %d tokens, want 200", got)
	}
}

func TestPromptConcurrent(t *testing.T) {
	t.Parallel()
	g := newGen(t, 11)
	var mu sync.Mutex
	seen := map[string]bool{}
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 25 {
				p, err := g.Prompt(64)
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				seen[p] = true
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if len(seen) != 100 {
		t.Errorf("100 concurrent prompts gave %d distinct ones", len(seen))
	}
}

func TestSetLengths(t *testing.T) {
	t.Parallel()
	tok := gpt2(t)
	bounds := map[string][2]int{"short": {8, 32}, "medium": {100, 200}, "long": {500, 1500}}
	for _, s := range Sets() {
		b := bounds[s.Name]
		if len(s.Prompts) < 3 {
			t.Errorf("set %s has %d prompts, want a handful", s.Name, len(s.Prompts))
		}
		for _, p := range s.Prompts {
			if n := len(tok.Encode(p)); n < b[0] || n > b[1] {
				t.Errorf("set %s: prompt of %d tokens, want %d..%d: %.60q", s.Name, n, b[0], b[1], p)
			}
		}
	}
	for _, in := range Instructions {
		if n := len(tok.Encode(in)); n > 24 {
			t.Errorf("instruction of %d tokens, want <= 24: %q", n, in)
		}
	}
}

func TestCorpus(t *testing.T) {
	t.Parallel()
	if n := len(Corpus()); n < 60_000 {
		t.Errorf("bundled corpus is %d bytes, want >= 60000", n)
	}
	if g := newGen(t, 0); g.MaxTokens() < 8192 {
		t.Errorf("MaxTokens() = %d, want >= 8192", g.MaxTokens())
	}
}

func BenchmarkPrompt(b *testing.B) {
	g := newGen(b, 1)
	for _, n := range []int{128, 2048} {
		b.Run(fmt.Sprintf("tokens=%d", n), func(b *testing.B) {
			var i uint64
			for b.Loop() {
				if _, err := g.PromptAt(i, n); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
	}
}

func BenchmarkNew(b *testing.B) {
	tok := gpt2(b)
	for b.Loop() {
		if _, err := New(tok, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}
