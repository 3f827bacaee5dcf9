package tokenizer

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"unicode/utf8"

	"github.com/dlclark/regexp2"
	"github.com/google/go-cmp/cmp"
)

func addCorpus(f *testing.F) {
	for _, s := range corpus {
		f.Add(s)
	}
}

func FuzzRoundTrip(f *testing.F) {
	addCorpus(f)
	b := mustGPT2(f)
	f.Fuzz(func(t *testing.T, s string) {
		got := b.Decode(b.Encode(s))
		want := s
		if !utf8.ValidString(s) {
			want = validUTF8(s)
		}
		if got != want {
			t.Errorf("Decode(Encode(%q)) = %q, want %q", s, got, want)
		}
	})
}

func FuzzSplit(f *testing.F) {
	addCorpus(f)
	res := map[string]*regexp2.Regexp{
		"gpt2":   regexp2.MustCompile(PatternGPT2, regexp2.None),
		"cl100k": regexp2.MustCompile(PatternCL100K, regexp2.None),
		"qwen2":  regexp2.MustCompile(PatternQwen2, regexp2.None),
	}
	splits := map[string]splitFunc{"gpt2": splitGPT2, "cl100k": splitCL100K(3), "qwen2": splitCL100K(1)}
	f.Fuzz(func(t *testing.T, s string) {
		v := validUTF8(s)
		for name, re := range res {
			want := regexSplit(re, v)
			got := scanSplit(splits[name], s)
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("%s split(%q) (-regexp2 +scanner):\n%s", name, s, diff)
			}
		}
	})
}

func FuzzGPT2MatchesTiktoken(f *testing.F) {
	addCorpus(f)
	b := mustGPT2(f)
	enc := oracle(f, "r50k_base")
	f.Fuzz(func(t *testing.T, s string) {
		if diff := cmp.Diff(enc.EncodeOrdinary(s), b.Encode(s)); diff != "" {
			t.Errorf("Encode(%q) (-tiktoken +got):\n%s", s, diff)
		}
	})
}

// benchText returns n GPT-2 tokens of English: the workload package's
// bundled Shakespeare, read from disk to avoid an import cycle.
func benchText(tb testing.TB, n int) string {
	data, err := os.ReadFile(filepath.Join("..", "workload", "text", "coriolanus.txt"))
	if err != nil {
		tb.Fatal(err)
	}
	b := mustGPT2(tb)
	ids := b.Encode(string(data))
	if len(ids) < n {
		tb.Fatalf("bench text has %d tokens, want %d", len(ids), n)
	}
	return b.Decode(ids[:n])
}

func BenchmarkEncode(b *testing.B) {
	tok := mustGPT2(b)
	for _, n := range []int{128, 2048, 16384} {
		text := benchText(b, n)
		b.Run(fmt.Sprintf("tokens=%d", n), func(b *testing.B) {
			b.SetBytes(int64(len(text)))
			for b.Loop() {
				tok.Encode(text)
			}
			b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "tokens/s")
		})
	}
}

func BenchmarkDecode(b *testing.B) {
	tok := mustGPT2(b)
	ids := tok.Encode(benchText(b, 2048))
	for b.Loop() {
		tok.Decode(ids)
	}
}

func BenchmarkLoadGPT2(b *testing.B) {
	for b.Loop() {
		if _, err := loadGPT2(); err != nil {
			b.Fatal(err)
		}
	}
}
