package tokenizer

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/dlclark/regexp2"
	"github.com/google/go-cmp/cmp"
)

func TestGPT2MatchesTiktoken(t *testing.T) {
	t.Parallel()
	b := mustGPT2(t)
	enc := oracle(t, "r50k_base")
	long := strings.Repeat("All work and no play makes Jack a dull boy. ", 50) + strings.Repeat("9", 300) + strings.Repeat(" ", 200)
	for _, text := range append(corpus, long) {
		want := enc.EncodeOrdinary(text)
		got := b.Encode(text)
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("Encode(%q) mismatch (-tiktoken +got):\n%s", text, diff)
		}
	}
}

func TestGPT2Basics(t *testing.T) {
	t.Parallel()
	b := mustGPT2(t)
	if got, want := b.VocabSize(), 50257; got != want {
		t.Errorf("VocabSize() = %d, want %d", got, want)
	}
	if got, want := b.EOS(), 50256; got != want {
		t.Errorf("EOS() = %d, want %d", got, want)
	}
	if got, want := string(b.TokenBytes(50256)), "<|endoftext|>"; got != want {
		t.Errorf("TokenBytes(50256) = %q, want %q", got, want)
	}
	if got := b.TokenBytes(50257); got != nil {
		t.Errorf("TokenBytes(50257) = %q, want nil", got)
	}
	if got := b.TokenBytes(-1); got != nil {
		t.Errorf("TokenBytes(-1) = %q, want nil", got)
	}
	if got, want := b.Name(), "gpt2"; got != want {
		t.Errorf("Name() = %q, want %q", got, want)
	}
	// Known ids from GPT-2's vocabulary.
	if diff := cmp.Diff([]int{15496, 11, 995, 0}, b.Encode("Hello, world!")); diff != "" {
		t.Errorf("Encode(Hello, world!) (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]int{628}, b.Encode("\n\n")); diff != "" {
		t.Errorf("Encode(\\n\\n) (-want +got):\n%s", diff)
	}
	// An emoji is split across tokens whose bytes are not UTF-8 alone;
	// TokenBytes keeps them raw and Decode joins them back.
	ids := b.Encode("😀")
	if len(ids) < 2 {
		t.Fatalf("Encode(😀) = %v, want several byte tokens", ids)
	}
	if utf8.Valid(b.TokenBytes(ids[0])) {
		t.Errorf("TokenBytes(%d) = %q, want a partial UTF-8 sequence", ids[0], b.TokenBytes(ids[0]))
	}
	if got := b.Decode(ids); got != "😀" {
		t.Errorf("Decode(Encode(😀)) = %q, want %q", got, "😀")
	}
	if got, want := b.Decode([]int{15496, -5, 99999, 0}), "Hello!"; got != want {
		t.Errorf("Decode with unknown ids = %q, want %q", got, want)
	}
}

func TestGPT2Cached(t *testing.T) {
	t.Parallel()
	a, b := mustGPT2(t), mustGPT2(t)
	if a != b {
		t.Error("GPT2() built the vocabulary twice")
	}
}

func TestSplitMatchesRegexp(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		pattern string
		split   splitFunc
	}{
		{"gpt2", PatternGPT2, splitGPT2},
		{"cl100k", PatternCL100K, splitCL100K(3)},
		{"qwen2", PatternQwen2, splitCL100K(1)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			re := regexp2.MustCompile(c.pattern, regexp2.None)
			for _, text := range corpus {
				want := regexSplit(re, validUTF8(text))
				got := scanSplit(c.split, text)
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("split(%q) (-regexp2 +scanner):\n%s", text, diff)
				}
			}
		})
	}
}

// TestMergeHeapMatchesScan checks the heap merge against the simple scan on
// long pieces, where it is used.
func TestMergeHeapMatchesScan(t *testing.T) {
	t.Parallel()
	b := mustGPT2(t)
	for _, p := range []string{
		strings.Repeat("a", 300),
		strings.Repeat("ab", 150),
		strings.Repeat("1234567890", 30),
		strings.Repeat(" ", 257),
		strings.Repeat("supercalifragilisticexpialidocious", 8),
		strings.Repeat("😀", 100),
	} {
		var s1, s2 []int32
		for k := 0; k < len(p); k++ {
			s1 = append(s1, b.byteID[p[k]])
			s2 = append(s2, b.byteID[p[k]])
		}
		if diff := cmp.Diff(b.mergeScan(s1), b.mergeHeap(s2)); diff != "" {
			t.Errorf("piece %.20q...: mergeHeap differs from mergeScan (-scan +heap):\n%s", p, diff)
		}
	}
}
