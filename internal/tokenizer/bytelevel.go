package tokenizer

// GPT-2's byte-level alphabet: every byte is shown as a printable rune so
// that vocabulary files hold text. Printable Latin-1 bytes stand for
// themselves; the others map to U+0100 onwards in byte order (space is
// "Ġ", newline "Ċ").
var byteRune, runeByte = func() (br [256]rune, rb map[rune]byte) {
	rb = make(map[rune]byte, 256)
	n := 0
	for c := range 256 {
		if '!' <= c && c <= '~' || '¡' <= c && c <= '¬' || '®' <= c && c <= 'ÿ' {
			br[c] = rune(c)
		} else {
			br[c] = rune(256 + n)
			n++
		}
		rb[br[c]] = byte(c)
	}
	return br, rb
}()

// byteLevelDecode turns a vocabulary string back into the bytes it stands
// for; ok is false when it holds a rune outside the alphabet.
func byteLevelDecode(s string) (b []byte, ok bool) {
	b = make([]byte, 0, len(s))
	for _, r := range s {
		c, ok := runeByte[r]
		if !ok {
			return nil, false
		}
		b = append(b, c)
	}
	return b, true
}

// byteLevelEncode is byteLevelDecode's inverse.
func byteLevelEncode(b []byte) string {
	rs := make([]rune, len(b))
	for i, c := range b {
		rs[i] = byteRune[c]
	}
	return string(rs)
}
