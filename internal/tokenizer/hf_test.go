package tokenizer

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	tiktoken_loader "github.com/pkoukk/tiktoken-go-loader"
)

// hfSpec describes a tokenizer.json for writeHF to build.
type hfSpec struct {
	ranks        map[string]int // token bytes → id, tiktoken style
	added        []hfAdded
	preTokenizer any
	ignoreMerges bool
	arrayMerges  bool
}

// hfJSON builds a tokenizer.json from tiktoken-style ranks the way
// Hugging Face's converter does: every split of a token into two tokens of
// lower rank is a merge, ordered by the rank of the merged token.
func hfJSON(t testing.TB, s hfSpec) []byte {
	t.Helper()
	type tok struct {
		b  string
		id int
	}
	toks := make([]tok, 0, len(s.ranks))
	vocab := make(map[string]int, len(s.ranks)+len(s.added))
	for b, id := range s.ranks {
		toks = append(toks, tok{b, id})
		vocab[byteLevelEncode([]byte(b))] = id
	}
	for _, a := range s.added {
		vocab[a.Content] = a.ID
	}
	slices.SortFunc(toks, func(x, y tok) int { return x.id - y.id })
	var merges [][2]string
	for _, tk := range toks {
		for k := 1; k < len(tk.b); k++ {
			l, okl := s.ranks[tk.b[:k]]
			r, okr := s.ranks[tk.b[k:]]
			if okl && okr && l < tk.id && r < tk.id {
				merges = append(merges, [2]string{byteLevelEncode([]byte(tk.b[:k])), byteLevelEncode([]byte(tk.b[k:]))})
			}
		}
	}
	var m any = merges
	if !s.arrayMerges {
		strs := make([]string, len(merges))
		for i, p := range merges {
			strs[i] = p[0] + " " + p[1]
		}
		m = strs
	}
	added := make([]map[string]any, len(s.added))
	for i, a := range s.added {
		added[i] = map[string]any{"id": a.ID, "content": a.Content, "single_word": a.SingleWord,
			"lstrip": a.Lstrip, "rstrip": a.Rstrip, "normalized": false, "special": true}
	}
	data, err := json.Marshal(map[string]any{
		"version":        "1.0",
		"added_tokens":   added,
		"normalizer":     nil,
		"pre_tokenizer":  s.preTokenizer,
		"post_processor": nil,
		"decoder":        map[string]any{"type": "ByteLevel"},
		"model": map[string]any{
			"type": "BPE", "dropout": nil, "unk_token": nil, "fuse_unk": false, "byte_fallback": false,
			"ignore_merges": s.ignoreMerges, "vocab": vocab, "merges": m,
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func writeFile(t testing.TB, dir, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

var byteLevelPre = map[string]any{"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": true}

func splitPre(pattern string) map[string]any {
	return map[string]any{"type": "Sequence", "pretokenizers": []any{
		map[string]any{"type": "Split", "pattern": map[string]any{"Regex": pattern}, "behavior": "Isolated", "invert": false},
		map[string]any{"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": false},
	}}
}

func TestLoadHFGPT2(t *testing.T) {
	t.Parallel()
	g := mustGPT2(t)
	ranks := make(map[string]int, len(g.encoder))
	for b, id := range g.encoder {
		ranks[b] = int(id)
	}
	path := writeFile(t, t.TempDir(), "tokenizer.json", hfJSON(t, hfSpec{
		ranks:        ranks,
		added:        []hfAdded{{ID: 50256, Content: endOfText}},
		preTokenizer: byteLevelPre,
	}))
	b, err := LoadHF(path)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := b.VocabSize(), 50257; got != want {
		t.Errorf("VocabSize() = %d, want %d", got, want)
	}
	if got, want := b.EOS(), 50256; got != want {
		t.Errorf("EOS() = %d, want %d", got, want)
	}
	if got, want := b.Name(), path; got != want {
		t.Errorf("Name() = %q, want %q", got, want)
	}
	enc := oracle(t, "r50k_base")
	for _, text := range corpus {
		want := enc.Encode(text, []string{"all"}, nil) // added tokens count in HF
		if diff := cmp.Diff(want, b.Encode(text)); diff != "" {
			t.Errorf("Encode(%q) (-tiktoken +got):\n%s", text, diff)
		}
	}
}

func TestLoadHFLlama3Style(t *testing.T) {
	t.Parallel()
	ranks, err := tiktoken_loader.NewOfflineLoader().LoadTiktokenBpe("cl100k_base.tiktoken")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	path := writeFile(t, dir, "tokenizer.json", hfJSON(t, hfSpec{
		ranks: ranks,
		added: []hfAdded{
			{ID: 100257, Content: "<|endoftext|>"},
			{ID: 100276, Content: "<|endofprompt|>"},
		},
		preTokenizer: splitPre(PatternCL100K),
		ignoreMerges: true,
		arrayMerges:  true,
	}))
	writeFile(t, dir, "tokenizer_config.json", []byte(`{"eos_token": {"content": "<|endofprompt|>"}}`))
	b, err := LoadHF(path)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := b.EOS(), 100276; got != want {
		t.Errorf("EOS() = %d, want %d (from tokenizer_config.json)", got, want)
	}
	enc := oracle(t, "cl100k_base")
	for _, text := range corpus {
		want := enc.Encode(text, []string{"all"}, nil)
		if diff := cmp.Diff(want, b.Encode(text)); diff != "" {
			t.Errorf("Encode(%q) (-tiktoken +got):\n%s", text, diff)
		}
	}
}

// tinyHF is a hand-made byte-level vocabulary: the printable ASCII bytes
// and space, merges that build "hello" and " world", and two added tokens.
func tinyHF(t testing.TB, extra func(m map[string]any)) []byte {
	t.Helper()
	vocab := map[string]int{}
	for c := ' '; c <= '~'; c++ {
		vocab[byteLevelEncode([]byte{byte(c)})] = len(vocab)
	}
	merges := []string{"h e", "l l", "he ll", "hell o", "Ġ w", "o r", "Ġw or", "l d", "Ġwor ld"}
	for _, m := range merges {
		vocab[strings.ReplaceAll(m, " ", "")] = len(vocab)
	}
	vocab["<eos>"] = len(vocab)
	doc := map[string]any{
		"added_tokens": []any{
			map[string]any{"id": vocab["<eos>"], "content": "<eos>", "special": true},
			map[string]any{"id": len(vocab), "content": "<sep>", "lstrip": true, "rstrip": true, "special": true},
		},
		"normalizer":    nil,
		"pre_tokenizer": byteLevelPre,
		"model":         map[string]any{"type": "BPE", "vocab": vocab, "merges": merges},
	}
	if extra != nil {
		extra(doc)
	}
	data, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestLoadHFTiny(t *testing.T) {
	t.Parallel()
	b, err := parseHF("tiny", tinyHF(t, nil), "<eos>")
	if err != nil {
		t.Fatal(err)
	}
	id := func(s string) int { return int(b.encoder[s]) }
	tests := []struct {
		text string
		want []int
	}{
		{"hello world", []int{id("hello"), id(" world")}},
		{"hello<eos>", []int{id("hello"), 104}},
		{"hello <sep>  world", []int{id("hello"), 105, id("w"), id("or"), id("ld")}},
		{"héllo", []int{id("h"), id("ll"), id("o")}}, // é's bytes are not in the vocabulary: skipped
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, b.Encode(tt.text)); diff != "" {
			t.Errorf("Encode(%q) (-want +got):\n%s", tt.text, diff)
		}
	}
	if got, want := b.EOS(), 104; got != want {
		t.Errorf("EOS() = %d, want %d", got, want)
	}
	if got, want := b.Decode(b.Encode("hello world<sep>")), "hello world<sep>"; got != want {
		t.Errorf("Decode(Encode) = %q, want %q", got, want)
	}

	p, err := parseHF("tiny", tinyHF(t, func(m map[string]any) {
		m["pre_tokenizer"] = map[string]any{"type": "ByteLevel", "add_prefix_space": true}
	}), "")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]int{id(" "), id("hello")}, p.Encode("hello")[:2]); diff != "" {
		// " hello" is not one token here: the space stays alone.
		t.Errorf("add_prefix_space: Encode(hello) (-want +got):\n%s", diff)
	}
	if got := p.EOS(); got != -1 {
		t.Errorf("EOS() with no known end token = %d, want -1", got)
	}
}

func TestLoadHFErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		edit func(m map[string]any)
		want string
	}{
		{"wordpiece", func(m map[string]any) { m["model"].(map[string]any)["type"] = "WordPiece" }, `model type "WordPiece" is not supported`},
		{"metaspace", func(m map[string]any) { m["pre_tokenizer"] = map[string]any{"type": "Metaspace"} }, `pre_tokenizer "Metaspace" is not supported`},
		{"no pre-tokenizer", func(m map[string]any) { m["pre_tokenizer"] = nil }, "no pre_tokenizer"},
		{"pattern", func(m map[string]any) { m["pre_tokenizer"] = splitPre(`\w+|\s+`) }, `Split pattern "\\w+|\\s+" is not supported`},
		{"normalizer", func(m map[string]any) { m["normalizer"] = map[string]any{"type": "NFC"} }, `normalizer "NFC" is not supported`},
		{"byte fallback", func(m map[string]any) { m["model"].(map[string]any)["byte_fallback"] = true }, "byte_fallback"},
		{"bad merge", func(m map[string]any) { m["model"].(map[string]any)["merges"] = []string{"x yz"} }, "missing from the vocab"},
		{"id range", func(m map[string]any) { m["model"].(map[string]any)["vocab"].(map[string]int)["zz"] = 1 << 30 }, "out of range"},
		{"not byte-level", func(m map[string]any) { m["model"].(map[string]any)["vocab"].(map[string]int)["▁the"] = 200 }, "not byte-level"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parseHF("x.json", tinyHF(t, tt.edit), "")
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("parseHF error = %v, want one containing %q", err, tt.want)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error %q spans several lines", err)
			}
		})
	}
	if _, err := LoadHF(filepath.Join(t.TempDir(), "missing.json")); err == nil {
		t.Error("LoadHF(missing file) succeeded")
	}
}

func FuzzLoadHF(f *testing.F) {
	f.Add(tinyHF(f, nil))
	f.Add(tinyHF(f, func(m map[string]any) { m["pre_tokenizer"] = splitPre(PatternCL100K) }))
	f.Add([]byte(`{"model":{"type":"BPE","vocab":{"a":0,"b":1,"ab":2},"merges":[["a","b"]]},"pre_tokenizer":{"type":"ByteLevel"}}`))
	f.Add([]byte(`{"model":{"vocab":{"a":-1}},"added_tokens":[{"id":-3,"content":"x"}]}`))
	f.Add([]byte(`not json`))
	f.Fuzz(func(t *testing.T, data []byte) {
		b, err := parseHF("fuzz.json", data, "")
		if err != nil {
			return
		}
		ids := b.Encode("hello world <eos> 123 😀")
		_ = b.Decode(ids)
		for _, id := range ids {
			if id < 0 || id >= b.VocabSize() {
				t.Fatalf("Encode returned id %d outside [0, %d)", id, b.VocabSize())
			}
		}
	})
}

func TestLoad(t *testing.T) {
	t.Parallel()
	b, err := Load("gpt2")
	if err != nil || b != mustGPT2(t) {
		t.Errorf("Load(gpt2) = %v, %v; want the GPT2 tokenizer", b, err)
	}
	path := writeFile(t, t.TempDir(), "tokenizer.json", tinyHF(t, nil))
	b, err = Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if b.Name() != path {
		t.Errorf("Load(%q).Name() = %q", path, b.Name())
	}
}
