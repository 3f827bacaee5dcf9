package tokenizer

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// splitFunc is a pre-tokenizer: it returns the end of the piece that starts
// at byte i of s. s is valid UTF-8 and i < len(s); the result is > i.
type splitFunc func(s string, i int) int

// Rune classes of the pre-tokenizer patterns: \s, \p{L}, \p{N} and the rest.
const (
	clsOther uint8 = iota
	clsSpace
	clsLetter
	clsNumber
)

var asciiClass = func() (t [utf8.RuneSelf]uint8) {
	for r := range rune(utf8.RuneSelf) {
		t[r] = slowClass(r)
	}
	return t
}()

func slowClass(r rune) uint8 {
	switch {
	case unicode.IsSpace(r):
		return clsSpace
	case unicode.IsLetter(r):
		return clsLetter
	case unicode.IsNumber(r):
		return clsNumber
	}
	return clsOther
}

func classOf(r rune) uint8 {
	if r < utf8.RuneSelf {
		return asciiClass[r]
	}
	return slowClass(r)
}

// runeAt decodes the rune at byte i of s.
func runeAt(s string, i int) (rune, int) {
	if c := s[i]; c < utf8.RuneSelf {
		return rune(c), 1
	}
	return utf8.DecodeRuneInString(s[i:])
}

// classAt is the class of the rune at byte i, or clsSpace past the end
// (callers only ask "is the next rune of class X").
func classAt(s string, i int) uint8 {
	if i >= len(s) {
		return clsSpace
	}
	r, _ := runeAt(s, i)
	return classOf(r)
}

// runEnd returns the end of the run of runes of class c that starts at i.
func runEnd(s string, i int, c uint8) int {
	for i < len(s) {
		r, w := runeAt(s, i)
		if classOf(r) != c {
			break
		}
		i += w
	}
	return i
}

// contraction returns the length of 's|'t|'re|'ve|'m|'ll|'d at byte i (where
// s[i] is an apostrophe), or 0. fold makes the letters case-insensitive.
func contraction(s string, i int, fold bool) int {
	lower := func(k int) byte {
		if k >= len(s) {
			return 0
		}
		c := s[k]
		if fold && 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		return c
	}
	switch a := lower(i + 1); a {
	case 's', 't', 'm', 'd':
		return 2
	case 'r', 'v':
		if lower(i+2) == 'e' {
			return 3
		}
	case 'l':
		if lower(i+2) == 'l' {
			return 3
		}
	}
	return 0
}

// spaceEnd implements \s+(?!\S)|\s+ at a whitespace rune: a run of
// whitespace followed by a non-space keeps its last rune for the next piece
// (so " word" stays together), unless the run is that one rune.
func spaceEnd(s string, i int) int {
	end, last := i, i
	for end < len(s) {
		r, w := runeAt(s, end)
		if classOf(r) != clsSpace {
			break
		}
		last = end
		end += w
	}
	if end == len(s) || last == i {
		return end
	}
	return last
}

// splitGPT2 is GPT-2's pattern
//
//	's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
//
// as a scanner (Go's regexp has no lookahead).
func splitGPT2(s string, i int) int {
	if s[i] == '\'' {
		if n := contraction(s, i, false); n > 0 {
			return i + n
		}
	}
	r, w := runeAt(s, i)
	c, j := classOf(r), i
	if r == ' ' {
		if c2 := classAt(s, i+w); c2 != clsSpace {
			c, j = c2, i+w
		}
	}
	if c != clsSpace {
		return runEnd(s, j, c)
	}
	return spaceEnd(s, i)
}

// PatternGPT2 is GPT-2's pre-tokenizer regular expression.
const PatternGPT2 = `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`

// PatternCL100K is the cl100k_base / Llama 3 pre-tokenizer regular
// expression; PatternQwen2 is the same with single digits.
const (
	PatternCL100K = `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`
	PatternQwen2  = `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`
)

// splitCL100K returns the scanner of PatternCL100K with \p{N}{1,maxDigits}.
func splitCL100K(maxDigits int) splitFunc {
	return func(s string, i int) int {
		if s[i] == '\'' {
			if n := contraction(s, i, true); n > 0 {
				return i + n
			}
		}
		r, w := runeAt(s, i)
		c := classOf(r)
		// [^\r\n\p{L}\p{N}]?\p{L}+
		if c == clsLetter {
			return runEnd(s, i, clsLetter)
		}
		if c != clsNumber && r != '\r' && r != '\n' && classAt(s, i+w) == clsLetter {
			return runEnd(s, i+w, clsLetter)
		}
		// \p{N}{1,n}
		if c == clsNumber {
			j := i
			for range maxDigits {
				if j >= len(s) {
					break
				}
				r, w := runeAt(s, j)
				if classOf(r) != clsNumber {
					break
				}
				j += w
			}
			return j
		}
		// ' ?[^\s\p{L}\p{N}]+[\r\n]*'
		j := -1
		if c == clsOther {
			j = i
		} else if r == ' ' && classAt(s, i+w) == clsOther {
			j = i + w
		}
		if j >= 0 {
			k := runEnd(s, j, clsOther)
			for k < len(s) && (s[k] == '\r' || s[k] == '\n') {
				k++
			}
			return k
		}
		// \s*[\r\n]+ : up to the last line break of the whitespace run.
		nl := -1
		for k := i; k < len(s); {
			r, w := runeAt(s, k)
			if classOf(r) != clsSpace {
				break
			}
			if r == '\r' || r == '\n' {
				nl = k
			}
			k += w
		}
		if nl >= 0 {
			return nl + 1
		}
		return spaceEnd(s, i)
	}
}

// validUTF8 replaces each byte that is not part of valid UTF-8 with U+FFFD,
// as Go's []rune conversion does (and so tiktoken-go).
func validUTF8(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	for i := 0; i < len(s); {
		r, w := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && w == 1 {
			b.WriteString("\uFFFD")
		} else {
			b.WriteString(s[i : i+w])
		}
		i += w
	}
	return b.String()
}
