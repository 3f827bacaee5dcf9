package engine

import (
	"unicode/utf16"
	"unicode/utf8"
)

// parser is a small validating JSON scanner for the chunk fast path. Every
// method reports false on input it does not accept; the caller then falls
// back to encoding/json, so false never has to explain itself. Strings are
// unescaped exactly as encoding/json does (invalid UTF-8 and lone
// surrogates become U+FFFD).
type parser struct {
	b      []byte
	i      int
	keyBuf []byte // unescaped keys that had escapes
	depth  int
}

// maxDepth bounds nesting in the fast path; deeper input goes to
// encoding/json, which has its own limit.
const maxDepth = 256

func (p *parser) reset(b []byte) {
	p.b, p.i, p.depth = b, 0, 0
}

func (p *parser) ws() {
	for p.i < len(p.b) && p.b[p.i] <= ' ' {
		switch p.b[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

func (p *parser) eof() bool { return p.i == len(p.b) }

func (p *parser) peek() byte {
	if p.i < len(p.b) {
		return p.b[p.i]
	}
	return 0
}

// lit consumes the literal s when it is next.
func (p *parser) lit(s string) bool {
	if len(p.b)-p.i >= len(s) && string(p.b[p.i:p.i+len(s)]) == s {
		p.i += len(s)
		return true
	}
	return false
}

// unknown skips the value of a key the fast path does not use. Keys are
// matched exactly; encoding/json matches struct fields case-insensitively,
// so a key with an upper-case or non-ASCII letter might be a known field
// in disguise and is left to encoding/json. Engines send lower-case keys.
func (p *parser) unknown(key []byte) bool {
	for _, c := range key {
		if c >= 'A' && c <= 'Z' || c >= utf8.RuneSelf {
			return false
		}
	}
	return p.skip()
}

// object parses an object, calling fn for each key with the parser at the
// value (whitespace skipped); fn must consume the value.
func (p *parser) object(fn func(key []byte) bool) bool {
	if p.peek() != '{' {
		return false
	}
	p.depth++
	if p.depth > maxDepth {
		return false
	}
	p.i++
	p.ws()
	if p.peek() == '}' {
		p.i++
		p.depth--
		return true
	}
	for {
		key, ok := p.key()
		if !ok {
			return false
		}
		p.ws()
		if p.peek() != ':' {
			return false
		}
		p.i++
		p.ws()
		if !fn(key) {
			return false
		}
		p.ws()
		switch p.peek() {
		case ',':
			p.i++
			p.ws()
		case '}':
			p.i++
			p.depth--
			return true
		default:
			return false
		}
	}
}

// array parses an array, calling fn with the parser at each element.
func (p *parser) array(fn func() bool) bool {
	if p.peek() != '[' {
		return false
	}
	p.depth++
	if p.depth > maxDepth {
		return false
	}
	p.i++
	p.ws()
	if p.peek() == ']' {
		p.i++
		p.depth--
		return true
	}
	for {
		if !fn() {
			return false
		}
		p.ws()
		switch p.peek() {
		case ',':
			p.i++
			p.ws()
		case ']':
			p.i++
			p.depth--
			return true
		default:
			return false
		}
	}
}

// countArray validates an array and returns its length.
func (p *parser) countArray() (int, bool) {
	n := 0
	ok := p.array(func() bool {
		n++
		return p.skip()
	})
	return n, ok
}

// key parses an object key. The result is valid until the next key.
func (p *parser) key() ([]byte, bool) {
	if p.peek() != '"' {
		return nil, false
	}
	start := p.i + 1
	for i := start; i < len(p.b); i++ {
		c := p.b[i]
		if c == '"' {
			p.i = i + 1
			return p.b[start:i], true
		}
		if c == '\\' || c < 0x20 || c >= 0x80 {
			break
		}
	}
	p.keyBuf = p.keyBuf[:0]
	if !p.appendString(&p.keyBuf) {
		return nil, false
	}
	return p.keyBuf, true
}

// stringInto sets *dst to the unescaped string value; null leaves *dst
// alone, as encoding/json does for a string field.
func (p *parser) stringInto(dst *[]byte) bool {
	if p.lit("null") {
		return true
	}
	*dst = (*dst)[:0]
	return p.appendString(dst)
}

// appendString appends the unescaped string at p.i to *dst.
func (p *parser) appendString(dst *[]byte) bool {
	b := p.b
	if p.i >= len(b) || b[p.i] != '"' {
		return false
	}
	i := p.i + 1
	start := i
	for i < len(b) {
		c := b[i]
		if c == '"' {
			*dst = append(*dst, b[start:i]...)
			p.i = i + 1
			return true
		}
		if c == '\\' || c < 0x20 || c >= 0x80 {
			break
		}
		i++
	}
	out := append(*dst, b[start:i]...)
	for i < len(b) {
		c := b[i]
		switch {
		case c == '"':
			*dst = out
			p.i = i + 1
			return true
		case c < 0x20:
			return false
		case c == '\\':
			if i+1 >= len(b) {
				return false
			}
			switch b[i+1] {
			case '"', '\\', '/':
				out = append(out, b[i+1])
			case 'b':
				out = append(out, '\b')
			case 'f':
				out = append(out, '\f')
			case 'n':
				out = append(out, '\n')
			case 'r':
				out = append(out, '\r')
			case 't':
				out = append(out, '\t')
			case 'u':
				r := hex4(b[i:])
				if r < 0 {
					return false
				}
				i += 6
				if utf16.IsSurrogate(r) {
					if dec := utf16.DecodeRune(r, hex4(b[i:])); dec != utf8.RuneError {
						out = utf8.AppendRune(out, dec)
						i += 6
						continue
					}
					r = utf8.RuneError
				}
				out = utf8.AppendRune(out, r)
				continue
			default:
				return false
			}
			i += 2
		case c < utf8.RuneSelf:
			out = append(out, c)
			i++
		default:
			r, size := utf8.DecodeRune(b[i:])
			if r == utf8.RuneError && size == 1 {
				out = utf8.AppendRune(out, utf8.RuneError)
			} else {
				out = append(out, b[i:i+size]...)
			}
			i += size
		}
	}
	return false
}

// hex4 decodes `\uXXXX` at the start of s, or returns -1.
func hex4(s []byte) rune {
	if len(s) < 6 || s[0] != '\\' || s[1] != 'u' {
		return -1
	}
	var r rune
	for _, c := range s[2:6] {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c = c - 'a' + 10
		case 'A' <= c && c <= 'F':
			c = c - 'A' + 10
		default:
			return -1
		}
		r = r*16 + rune(c)
	}
	return r
}

// skipString validates a string without unescaping it.
func (p *parser) skipString() bool {
	b := p.b
	if p.i >= len(b) || b[p.i] != '"' {
		return false
	}
	for i := p.i + 1; i < len(b); i++ {
		switch c := b[i]; {
		case c == '"':
			p.i = i + 1
			return true
		case c < 0x20:
			return false
		case c == '\\':
			if i+1 >= len(b) {
				return false
			}
			switch b[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i++
			case 'u':
				if hex4(b[i:]) < 0 {
					return false
				}
				i += 5
			default:
				return false
			}
		}
	}
	return false
}

// skip validates and skips one value.
func (p *parser) skip() bool {
	switch p.peek() {
	case '{':
		return p.object(func([]byte) bool { return p.skip() })
	case '[':
		return p.array(p.skip)
	case '"':
		return p.skipString()
	case 't':
		return p.lit("true")
	case 'f':
		return p.lit("false")
	case 'n':
		return p.lit("null")
	}
	_, _, ok := p.number()
	return ok
}

// number validates a JSON number and returns its span and whether it is an
// integer (no fraction, no exponent).
func (p *parser) number() (num []byte, isInt, ok bool) {
	b, i := p.b, p.i
	start := i
	if i < len(b) && b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && b[i] >= '1' && b[i] <= '9':
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
	default:
		return nil, false, false
	}
	isInt = true
	if i < len(b) && b[i] == '.' {
		isInt = false
		i++
		d := i
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		if i == d {
			return nil, false, false
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		isInt = false
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		d := i
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		if i == d {
			return nil, false, false
		}
	}
	p.i = i
	return b[start:i], isInt, true
}

// int parses an integer value into *dst the way encoding/json fills an
// int: a fraction, an exponent or an overflow is not accepted.
func (p *parser) int(dst *int) bool {
	num, isInt, ok := p.number()
	if !ok || !isInt {
		return false
	}
	neg := num[0] == '-'
	if neg {
		num = num[1:]
	}
	if len(num) > 18 {
		return false // may overflow; let encoding/json decide
	}
	n := 0
	for _, c := range num {
		n = n*10 + int(c-'0')
	}
	if neg {
		n = -n
	}
	*dst = n
	return true
}
