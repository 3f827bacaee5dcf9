package tokenizer

import "unicode/utf8"

// addedTokens finds a vocabulary's added tokens (special tokens and the
// like) in text, as Hugging Face does before pre-tokenizing.
type addedTokens struct {
	byFirst map[byte][]addedToken // by first byte, longest first
}

type addedToken struct {
	content        string
	id             int
	lstrip, rstrip bool
	singleWord     bool
}

// find returns the leftmost (then longest) added token in s: the span it
// takes, whitespace stripped by lstrip/rstrip included, and its id; start is
// -1 when there is none.
func (a *addedTokens) find(s string) (start, end, id int) {
	for i := 0; i < len(s); i++ {
		for _, t := range a.byFirst[s[i]] {
			if len(s)-i < len(t.content) || s[i:i+len(t.content)] != t.content {
				continue
			}
			e := i + len(t.content)
			if t.singleWord && (wordByteBefore(s, i) || wordByteAt(s, e)) {
				continue
			}
			b := i
			if t.lstrip {
				for b > 0 && isASCIISpace(s[b-1]) {
					b--
				}
			}
			if t.rstrip {
				for e < len(s) && isASCIISpace(s[e]) {
					e++
				}
			}
			return b, e, t.id
		}
	}
	return -1, -1, 0
}

func isASCIISpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func wordByteBefore(s string, i int) bool {
	if i == 0 {
		return false
	}
	r, _ := utf8.DecodeLastRuneInString(s[:i])
	c := classOf(r)
	return c == clsLetter || c == clsNumber || r == '_'
}

func wordByteAt(s string, i int) bool {
	if i >= len(s) {
		return false
	}
	r, _ := runeAt(s, i)
	c := classOf(r)
	return c == clsLetter || c == clsNumber || r == '_'
}
