package tokenizer

import "math"

// BPE is a byte-level byte-pair-encoding tokenizer: GPT-2's (see GPT2) or
// one read from a Hugging Face tokenizer.json (see LoadHF). It is immutable
// once built and safe for concurrent use.
type BPE struct {
	name   string
	tokens [][]byte // id → bytes; nil for an unused id
	// encoder maps the bytes of each ordinary (mergeable) token to its id.
	encoder map[string]int32
	byteID  [256]int32 // id of each single byte, -1 when the vocabulary lacks it
	merges  map[uint64]mergeRule
	// wholeWord looks a whole pre-token up before merging (tiktoken, and
	// Hugging Face's ignore_merges).
	wholeWord   bool
	split       splitFunc // nil: the whole text is one piece
	prefixSpace bool      // ByteLevel add_prefix_space
	added       *addedTokens
	eos         int
}

type mergeRule struct {
	rank int32 // lower merges first
	id   int32 // the merged token
}

var noMerge = mergeRule{rank: math.MaxInt32, id: -1}

func pairKey(a, b int32) uint64 { return uint64(uint32(a))<<32 | uint64(uint32(b)) }

func (b *BPE) rule(l, r int32) mergeRule {
	if m, ok := b.merges[pairKey(l, r)]; ok {
		return m
	}
	return noMerge
}

// Name says which vocabulary this is: "gpt2" or the tokenizer.json path.
func (b *BPE) Name() string { return b.name }

// VocabSize is the number of ids, special tokens included.
func (b *BPE) VocabSize() int { return len(b.tokens) }

// EOS is the end-of-text id, or -1 when none is known.
func (b *BPE) EOS() int { return b.eos }

// TokenBytes returns the raw bytes of one token, nil for an unknown id. The
// slice is shared: callers must not modify it.
func (b *BPE) TokenBytes(id int) []byte {
	if id < 0 || id >= len(b.tokens) {
		return nil
	}
	t := b.tokens[id]
	return t[:len(t):len(t)]
}

// Decode returns the bytes of ids concatenated, as a string; unknown ids are
// skipped and bytes that are not valid UTF-8 on their own are kept.
func (b *BPE) Decode(ids []int) string {
	n := 0
	for _, id := range ids {
		n += len(b.TokenBytes(id))
	}
	buf := make([]byte, 0, n)
	for _, id := range ids {
		buf = append(buf, b.TokenBytes(id)...)
	}
	return string(buf)
}

// Encode returns the token ids of text, adding no special tokens. Bytes of
// text that are not valid UTF-8 are encoded as U+FFFD each, as tiktoken-go
// does. A tokenizer read from a tokenizer.json recognises its added tokens
// (such as "<|endoftext|>") in text, as Hugging Face does; GPT2 does not, as
// tiktoken's encode_ordinary does not.
func (b *BPE) Encode(text string) []int {
	text = validUTF8(text)
	ids := make([]int, 0, len(text)/4+1)
	if b.added == nil {
		return b.appendOrdinary(ids, text)
	}
	for text != "" {
		start, end, id := b.added.find(text)
		if start < 0 {
			break
		}
		ids = b.appendOrdinary(ids, text[:start])
		ids = append(ids, id)
		text = text[end:]
	}
	return b.appendOrdinary(ids, text)
}

func (b *BPE) appendOrdinary(ids []int, s string) []int {
	if s == "" {
		return ids
	}
	if b.prefixSpace && s[0] != ' ' {
		s = " " + s
	}
	if b.split == nil {
		return b.appendPiece(ids, s)
	}
	for i := 0; i < len(s); {
		j := b.split(s, i)
		ids = b.appendPiece(ids, s[i:j])
		i = j
	}
	return ids
}

// heapMin is the piece length from which merging uses a heap: the simple
// scan is quadratic, which a long run of one character would expose.
const heapMin = 128

func (b *BPE) appendPiece(ids []int, p string) []int {
	if b.wholeWord || len(p) == 1 {
		if id, ok := b.encoder[p]; ok {
			return append(ids, int(id))
		}
	}
	var buf [64]int32
	sym := buf[:0]
	for k := 0; k < len(p); k++ {
		if id := b.byteID[p[k]]; id >= 0 {
			sym = append(sym, id)
		}
	}
	if len(sym) >= heapMin {
		sym = b.mergeHeap(sym)
	} else {
		sym = b.mergeScan(sym)
	}
	for _, id := range sym {
		ids = append(ids, int(id))
	}
	return ids
}

// mergeScan applies the lowest-ranked merge, leftmost first, until none
// applies, rescanning the pairs each time.
func (b *BPE) mergeScan(sym []int32) []int32 {
	if len(sym) < 2 {
		return sym
	}
	var buf [64]mergeRule
	rules := buf[:0]
	for k := 0; k+1 < len(sym); k++ {
		rules = append(rules, b.rule(sym[k], sym[k+1]))
	}
	for {
		best, bestRank := -1, noMerge.rank
		for k, r := range rules {
			if r.rank < bestRank {
				best, bestRank = k, r.rank
			}
		}
		if best < 0 {
			return sym
		}
		sym[best] = rules[best].id
		sym = append(sym[:best+1], sym[best+2:]...)
		rules = append(rules[:best], rules[best+1:]...)
		if best < len(rules) {
			rules[best] = b.rule(sym[best], sym[best+1])
		}
		if best > 0 {
			rules[best-1] = b.rule(sym[best-1], sym[best])
		}
	}
}

// mergeHeap gives mergeScan's result in O(n log n): candidate pairs sit in
// a heap ordered by (rank, position) and stale ones are skipped on pop.
func (b *BPE) mergeHeap(sym []int32) []int32 {
	n := len(sym)
	next := make([]int32, n)
	prev := make([]int32, n)
	for k := range n {
		next[k], prev[k] = int32(k+1), int32(k-1)
	}
	next[n-1] = -1
	var h pairHeap
	push := func(k int32) {
		nk := next[k]
		if nk < 0 {
			return
		}
		if r := b.rule(sym[k], sym[nk]); r.id >= 0 {
			h.push(pairEntry{rank: r.rank, pos: k, left: sym[k], right: sym[nk], id: r.id})
		}
	}
	for k := range n - 1 {
		push(int32(k))
	}
	for len(h) > 0 {
		e := h.pop()
		k := e.pos
		nk := next[k]
		if sym[k] != e.left || nk < 0 || sym[nk] != e.right {
			continue // stale: one side has merged since
		}
		sym[k] = e.id
		sym[nk] = -1
		nn := next[nk]
		next[k] = nn
		if nn >= 0 {
			prev[nn] = k
		}
		if p := prev[k]; p >= 0 {
			push(p)
		}
		push(k)
	}
	out := sym[:0]
	for k := int32(0); k >= 0; k = next[k] {
		out = append(out, sym[k])
	}
	return out
}

type pairEntry struct {
	rank, pos       int32
	left, right, id int32
}

type pairHeap []pairEntry

func (h pairEntry) less(o pairEntry) bool {
	return h.rank < o.rank || h.rank == o.rank && h.pos < o.pos
}

func (h *pairHeap) push(e pairEntry) {
	*h = append(*h, e)
	s := *h
	for i := len(s) - 1; i > 0; {
		p := (i - 1) / 2
		if !s[i].less(s[p]) {
			break
		}
		s[i], s[p] = s[p], s[i]
		i = p
	}
}

func (h *pairHeap) pop() pairEntry {
	s := *h
	top := s[0]
	last := len(s) - 1
	s[0] = s[last]
	s = s[:last]
	for i := 0; ; {
		l, m := 2*i+1, i
		if l < len(s) && s[l].less(s[m]) {
			m = l
		}
		if r := l + 1; r < len(s) && s[r].less(s[m]) {
			m = r
		}
		if m == i {
			break
		}
		s[i], s[m] = s[m], s[i]
		i = m
	}
	*h = s
	return top
}

var _ Tokenizer = (*BPE)(nil)
