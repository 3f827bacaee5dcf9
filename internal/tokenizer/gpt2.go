package tokenizer

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"strconv"
	"sync"

	"github.com/pkoukk/tiktoken-go-loader/assets"
)

// GPT-2's vocabulary: 50,000 merged tokens and 256 bytes, then
// <|endoftext|>.
const (
	gpt2EOS       = 50256
	gpt2VocabSize = 50257
	endOfText     = "<|endoftext|>"
)

var gpt2 = sync.OnceValues(loadGPT2)

// GPT2 returns GPT-2's byte-level BPE (OpenAI's r50k_base), read from the
// vocabulary embedded in the binary; nothing is downloaded. It is built
// once per process and shared.
func GPT2() (*BPE, error) { return gpt2() }

func loadGPT2() (*BPE, error) {
	data, err := assets.Assets.ReadFile("r50k_base.tiktoken")
	if err != nil {
		return nil, fmt.Errorf("tokenizer: gpt2: %w", err)
	}
	b := &BPE{
		name:      "gpt2",
		tokens:    make([][]byte, gpt2VocabSize),
		encoder:   make(map[string]int32, gpt2VocabSize),
		wholeWord: true,
		split:     splitGPT2,
		eos:       gpt2EOS,
	}
	store := make([]byte, 0, 8*gpt2VocabSize)
	for line := range bytes.Lines(data) {
		line = bytes.TrimRight(line, "\r\n")
		if len(line) == 0 {
			continue
		}
		tok, rank, ok := bytes.Cut(line, []byte(" "))
		if !ok {
			return nil, fmt.Errorf("tokenizer: gpt2: bad vocabulary line %q", line)
		}
		id, err := strconv.Atoi(string(rank))
		if err != nil || id < 0 || id >= gpt2EOS {
			return nil, fmt.Errorf("tokenizer: gpt2: bad rank in %q", line)
		}
		start := len(store)
		store, err = base64.StdEncoding.AppendDecode(store, tok)
		if err != nil {
			return nil, fmt.Errorf("tokenizer: gpt2: %w", err)
		}
		t := store[start:len(store):len(store)]
		b.tokens[id] = t
		b.encoder[string(t)] = int32(id)
	}
	b.tokens[gpt2EOS] = []byte(endOfText)
	if err := b.finish(); err != nil {
		return nil, fmt.Errorf("tokenizer: gpt2: %w", err)
	}
	return b, nil
}

// finish fills byteID and, when merges is nil, derives the merge table from
// the encoder the way tiktoken merges: any two adjacent tokens whose
// concatenation is a token merge, the lower id first.
func (b *BPE) finish() error {
	for c := range 256 {
		id, ok := b.encoder[string([]byte{byte(c)})]
		if !ok {
			id = -1
		}
		b.byteID[c] = id
	}
	if b.merges != nil {
		return nil
	}
	b.merges = make(map[uint64]mergeRule, 2*len(b.encoder))
	for s, id := range b.encoder {
		for k := 1; k < len(s); k++ {
			l, ok := b.encoder[s[:k]]
			if !ok {
				continue
			}
			r, ok := b.encoder[s[k:]]
			if !ok {
				continue
			}
			b.merges[pairKey(l, r)] = mergeRule{rank: id, id: id}
		}
	}
	return nil
}
