package tokenizer

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// LoadHF reads a Hugging Face tokenizer.json of a byte-level BPE model
// (GPT-2, RoBERTa, Llama 3, Qwen 2 and the like). The pre-tokenizer must be
// ByteLevel, or a Split on GPT-2's, cl100k's (Llama 3) or Qwen 2's pattern
// followed by ByteLevel; anything else is refused with an error naming it.
// Added tokens found in the text encode as themselves, as in Hugging Face.
// The end-of-text id comes from tokenizer_config.json beside the file when
// it names an eos_token, else from the first added token among
// <|endoftext|>, </s>, <|end_of_text|> and <|eot_id|>, else it is -1.
func LoadHF(path string) (*BPE, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("tokenizer: %w", err)
	}
	eos := ""
	if cfg, err := os.ReadFile(filepath.Join(filepath.Dir(path), "tokenizer_config.json")); err == nil {
		eos = eosFromConfig(cfg)
	}
	return parseHF(path, data, eos)
}

type hfFile struct {
	AddedTokens  []hfAdded    `json:"added_tokens"`
	Normalizer   *hfComponent `json:"normalizer"`
	PreTokenizer *hfComponent `json:"pre_tokenizer"`
	Model        hfModel      `json:"model"`
}

type hfAdded struct {
	ID         int    `json:"id"`
	Content    string `json:"content"`
	SingleWord bool   `json:"single_word"`
	Lstrip     bool   `json:"lstrip"`
	Rstrip     bool   `json:"rstrip"`
}

type hfModel struct {
	Type                    string          `json:"type"`
	Vocab                   map[string]int  `json:"vocab"`
	Merges                  json.RawMessage `json:"merges"`
	IgnoreMerges            bool            `json:"ignore_merges"`
	ContinuingSubwordPrefix string          `json:"continuing_subword_prefix"`
	EndOfWordSuffix         string          `json:"end_of_word_suffix"`
	ByteFallback            bool            `json:"byte_fallback"`
}

// hfComponent is a normalizer or pre-tokenizer, with the fields of the
// kinds this package understands.
type hfComponent struct {
	Type           string         `json:"type"`
	AddPrefixSpace bool           `json:"add_prefix_space"`
	UseRegex       *bool          `json:"use_regex"`
	Pretokenizers  []*hfComponent `json:"pretokenizers"`
	Normalizers    []*hfComponent `json:"normalizers"`
	Pattern        struct {
		Regex  *string `json:"Regex"`
		String *string `json:"String"`
	} `json:"pattern"`
	Behavior string `json:"behavior"`
	Invert   bool   `json:"invert"`
}

// knownPatterns are the Split regular expressions with a scanner here.
var knownPatterns = map[string]splitFunc{
	PatternGPT2:   splitGPT2,
	PatternCL100K: splitCL100K(3),
	PatternQwen2:  splitCL100K(1),
}

// maxHFVocab bounds the ids a file may use, so that garbage cannot make
// LoadHF allocate without limit.
const maxHFVocab = 1 << 22

func parseHF(name string, data []byte, eosName string) (*BPE, error) {
	fail := func(format string, args ...any) (*BPE, error) {
		return nil, fmt.Errorf("tokenizer: %s: "+format, append([]any{name}, args...)...)
	}
	var f hfFile
	if err := json.Unmarshal(data, &f); err != nil {
		return fail("%w", err)
	}
	m := f.Model
	switch {
	case m.Type != "BPE" && (m.Type != "" || m.Merges == nil):
		return fail("model type %q is not supported (only byte-level BPE)", m.Type)
	case m.ByteFallback:
		return fail("BPE with byte_fallback (SentencePiece style) is not supported (only byte-level BPE)")
	case m.ContinuingSubwordPrefix != "" || m.EndOfWordSuffix != "":
		return fail("BPE with continuing_subword_prefix or end_of_word_suffix is not supported (only byte-level BPE)")
	case len(m.Vocab) == 0:
		return fail("model has no vocab")
	}
	if n := f.Normalizer; n != nil && !(n.Type == "Sequence" && len(n.Normalizers) == 0) {
		return fail("normalizer %q is not supported", n.Type)
	}
	b := &BPE{name: name, wholeWord: m.IgnoreMerges, eos: -1}
	if err := b.setPreTokenizer(f.PreTokenizer); err != nil {
		return fail("%w", err)
	}

	maxID := -1
	for _, id := range m.Vocab {
		maxID = max(maxID, id)
	}
	for _, a := range f.AddedTokens {
		maxID = max(maxID, a.ID)
	}
	if limit := min(maxHFVocab, 2*(len(m.Vocab)+len(f.AddedTokens))+1024); maxID >= limit {
		return fail("token id %d is out of range for a vocabulary of %d entries", maxID, len(m.Vocab)+len(f.AddedTokens))
	}
	b.tokens = make([][]byte, maxID+1)
	b.encoder = make(map[string]int32, len(m.Vocab))
	added := make(map[string]bool, len(f.AddedTokens))
	for _, a := range f.AddedTokens {
		added[a.Content] = true
	}
	for s, id := range m.Vocab {
		if id < 0 {
			return fail("vocab entry %q has negative id %d", s, id)
		}
		t, ok := byteLevelDecode(s)
		if !ok {
			if !added[s] {
				return fail("vocab entry %q is not byte-level", s)
			}
			t = []byte(s)
		}
		if old := b.tokens[id]; old != nil && string(old) != string(t) {
			return fail("id %d is used by %q and %q", id, old, t)
		}
		b.tokens[id] = t
		if !added[s] {
			b.encoder[string(t)] = int32(id)
		}
	}
	if err := b.setMerges(m.Vocab, m.Merges); err != nil {
		return fail("%w", err)
	}
	if err := b.setAdded(f.AddedTokens); err != nil {
		return fail("%w", err)
	}
	if err := b.finish(); err != nil {
		return fail("%w", err)
	}
	b.eos = b.findEOS(eosName, m.Vocab, f.AddedTokens)
	return b, nil
}

func (b *BPE) setPreTokenizer(p *hfComponent) error {
	if p == nil {
		return errors.New("no pre_tokenizer: only byte-level BPE is supported")
	}
	steps := []*hfComponent{p}
	if p.Type == "Sequence" {
		steps = p.Pretokenizers
	}
	byteLevel, splits := false, 0
	for _, s := range steps {
		if s == nil {
			return errors.New("pre_tokenizer: null step")
		}
		switch s.Type {
		case "ByteLevel":
			byteLevel = true
			b.prefixSpace = s.AddPrefixSpace
			if s.UseRegex == nil || *s.UseRegex {
				b.split = splitGPT2
				splits++
			}
		case "Split":
			if s.Pattern.Regex == nil {
				return errors.New("pre_tokenizer Split with a String pattern is not supported")
			}
			f, ok := knownPatterns[*s.Pattern.Regex]
			if !ok {
				return fmt.Errorf("pre_tokenizer Split pattern %q is not supported", *s.Pattern.Regex)
			}
			if s.Behavior != "Isolated" || s.Invert {
				return fmt.Errorf("pre_tokenizer Split behavior %q (invert %v) is not supported", s.Behavior, s.Invert)
			}
			if byteLevel {
				return errors.New("pre_tokenizer Split after ByteLevel is not supported")
			}
			b.split = f
			splits++
		default:
			return fmt.Errorf("pre_tokenizer %q is not supported (only byte-level BPE)", s.Type)
		}
	}
	switch {
	case !byteLevel:
		return fmt.Errorf("pre_tokenizer %q has no ByteLevel step: only byte-level BPE is supported", p.Type)
	case splits > 1:
		return errors.New("pre_tokenizer splits twice (Split and ByteLevel use_regex): not supported")
	}
	return nil
}

// setMerges reads merges in either form: ["a b", ...] or [["a","b"], ...].
// The rank of a merge is its index; a later duplicate wins, as in Hugging
// Face.
func (b *BPE) setMerges(vocab map[string]int, raw json.RawMessage) error {
	var pairs [][2]string
	var strs []string
	if err := json.Unmarshal(raw, &strs); err == nil {
		pairs = make([][2]string, len(strs))
		for i, s := range strs {
			l, r, ok := strings.Cut(s, " ")
			if !ok || strings.Contains(r, " ") {
				return fmt.Errorf("merge %d %q is not two tokens", i, s)
			}
			pairs[i] = [2]string{l, r}
		}
	} else if err := json.Unmarshal(raw, &pairs); err != nil {
		return fmt.Errorf("merges: %w", err)
	}
	b.merges = make(map[uint64]mergeRule, len(pairs))
	for i, p := range pairs {
		l, okl := vocab[p[0]]
		r, okr := vocab[p[1]]
		id, ok := vocab[p[0]+p[1]]
		if !okl || !okr || !ok {
			return fmt.Errorf("merge %d %q %q uses a token missing from the vocab", i, p[0], p[1])
		}
		b.merges[pairKey(int32(l), int32(r))] = mergeRule{rank: int32(i), id: int32(id)}
	}
	return nil
}

func (b *BPE) setAdded(list []hfAdded) error {
	if len(list) == 0 {
		return nil
	}
	a := &addedTokens{byFirst: map[byte][]addedToken{}}
	for _, t := range list {
		if t.ID < 0 {
			return fmt.Errorf("added token %q has negative id %d", t.Content, t.ID)
		}
		if t.Content == "" {
			continue
		}
		b.tokens[t.ID] = []byte(t.Content)
		a.byFirst[t.Content[0]] = append(a.byFirst[t.Content[0]], addedToken{
			content: t.Content, id: t.ID, lstrip: t.Lstrip, rstrip: t.Rstrip, singleWord: t.SingleWord,
		})
	}
	for _, ts := range a.byFirst {
		slices.SortStableFunc(ts, func(x, y addedToken) int { return cmp.Compare(len(y.content), len(x.content)) })
	}
	b.added = a
	return nil
}

// eosCandidates are the end-of-text tokens of common byte-level models.
var eosCandidates = []string{"<|endoftext|>", "</s>", "<|end_of_text|>", "<|eot_id|>"}

func (b *BPE) findEOS(name string, vocab map[string]int, added []hfAdded) int {
	lookup := func(s string) int {
		for _, a := range added {
			if a.Content == s {
				return a.ID
			}
		}
		if id, ok := vocab[s]; ok {
			return id
		}
		return -1
	}
	if name != "" {
		if id := lookup(name); id >= 0 {
			return id
		}
	}
	for _, s := range eosCandidates {
		if id := lookup(s); id >= 0 {
			return id
		}
	}
	return -1
}

// eosFromConfig returns tokenizer_config.json's eos_token, a string or an
// object with a content field; "" when there is none.
func eosFromConfig(data []byte) string {
	var cfg struct {
		EOS json.RawMessage `json:"eos_token"`
	}
	if json.Unmarshal(data, &cfg) != nil || cfg.EOS == nil {
		return ""
	}
	var s string
	if json.Unmarshal(cfg.EOS, &s) == nil {
		return s
	}
	var obj struct {
		Content string `json:"content"`
	}
	if json.Unmarshal(cfg.EOS, &obj) == nil {
		return obj.Content
	}
	return ""
}
