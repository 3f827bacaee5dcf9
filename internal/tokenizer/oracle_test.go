package tokenizer

import (
	"sync"
	"testing"

	"github.com/dlclark/regexp2"
	"github.com/pkoukk/tiktoken-go"
	tiktoken_loader "github.com/pkoukk/tiktoken-go-loader"
)

// The test oracle is tiktoken-go with its offline loader: r50k_base is
// GPT-2's encoding, cl100k_base carries the Llama 3 pattern.
var oracles = sync.OnceValue(func() map[string]*tiktoken.Tiktoken {
	tiktoken.SetBpeLoader(tiktoken_loader.NewOfflineLoader())
	m := map[string]*tiktoken.Tiktoken{}
	for _, name := range []string{"r50k_base", "cl100k_base"} {
		enc, err := tiktoken.GetEncoding(name)
		if err != nil {
			panic(err)
		}
		m[name] = enc
	}
	return m
})

func oracle(t testing.TB, name string) *tiktoken.Tiktoken {
	t.Helper()
	return oracles()[name]
}

// regexSplit splits text with pattern the way tiktoken-go does (regexp2 on
// runes), for comparison with the scanners.
func regexSplit(re *regexp2.Regexp, text string) []string {
	runes := []rune(text)
	var out []string
	m, _ := re.FindRunesMatch(runes)
	for m != nil {
		out = append(out, string(runes[m.Index:m.Index+m.Length]))
		m, _ = re.FindNextMatch(m)
	}
	return out
}

func scanSplit(f splitFunc, text string) []string {
	text = validUTF8(text)
	var out []string
	for i := 0; i < len(text); {
		j := f(text, i)
		out = append(out, text[i:j])
		i = j
	}
	return out
}

func mustGPT2(t testing.TB) *BPE {
	t.Helper()
	b, err := GPT2()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// corpus is the varied text the tokenizer is checked on.
var corpus = []string{
	"",
	"Hello, world!",
	"hello world",
	"The quick brown fox jumps over the lazy dog.",
	"\n\n",
	"\n\nHello\n\n\nworld\n",
	"   x",
	"x   ",
	"a  b   c    d",
	"\t\tindented\tline\t",
	" \t \n \r\n mixed",
	"I'm sure you've heard they'll say it's what we'd do, isn't it?",
	"I'M SURE YOU'VE HEARD THEY'LL SAY IT'S",
	"'s 't 're 've 'm 'll 'd 'x '' ''s",
	"don't''t",
	"1234567890 12 3.14159 1,000,000 -42",
	"₀₁₂ ½ ⅔ Ⅻ ٣٤٥",
	"naïve café résumé façade",
	"e\u0301 combining",
	"日本語のテキスト、中文文本。한국어 텍스트",
	"Привет, мир! Γειά σου Κόσμε",
	"emoji 😀🎉👍🏽 👨‍👩‍👧‍👦 flags 🇫🇷",
	"symbols !@#$%^&*()_+-=[]{}|;':\",./<>? ~`",
	"   ",
	" ",
	"\u00a0nbsp\u00a0 \u2003em\u3000ideo",
	"<|endoftext|> is special",
	"func main() {\n\tfmt.Println(\"hi\")\n}\n",
	"    def f(x):\n        return x ** 2\n",
	"invalid \xff\xfe utf8 \xc3\x28 \xed\xa0\x80 \xf0\x9f\x98",
	"\x80",
	"CamelCaseWords and snake_case_words",
	"http://example.com/path?query=1&b=2#frag",
	"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
	"ſ Kelvin K 'S 'ſ",
	"\r\n\r\n end \r",
	"x\n  \n  y",
}
