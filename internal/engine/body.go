package engine

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"unicode/utf8"
)

// appendBody appends the JSON body of req to b. Known fields are written
// by hand (the request path runs ten thousand times a second); Extra
// entries are marshalled with encoding/json and replace known fields of
// the same name.
func (d Dialect) appendBody(b []byte, req Request) ([]byte, error) {
	has := func(k string) bool {
		_, ok := req.Extra[k]
		return ok
	}
	b = append(b, '{')
	first := true
	key := func(k string) {
		if !first {
			b = append(b, ',')
		}
		first = false
		b = appendJSONString(b, k)
		b = append(b, ':')
	}
	if !has("model") {
		key("model")
		b = appendJSONString(b, req.Model)
	}
	switch req.API {
	case APIChat:
		if !has("messages") {
			key("messages")
			b = append(b, '[')
			for i, m := range req.Messages {
				if i > 0 {
					b = append(b, ',')
				}
				b = append(b, `{"role":`...)
				b = appendJSONString(b, m.Role)
				b = append(b, `,"content":`...)
				b = appendJSONString(b, m.Content)
				b = append(b, '}')
			}
			b = append(b, ']')
		}
	default:
		if !has("prompt") {
			key("prompt")
			if len(req.Prompts) > 0 {
				b = append(b, '[')
				for i, p := range req.Prompts {
					if i > 0 {
						b = append(b, ',')
					}
					b = appendJSONString(b, p)
				}
				b = append(b, ']')
			} else {
				b = appendJSONString(b, req.Prompt)
			}
		}
	}
	if req.MaxTokens > 0 && !has("max_tokens") {
		key("max_tokens")
		b = strconv.AppendInt(b, int64(req.MaxTokens), 10)
	}
	if math.IsNaN(req.Temperature) || math.IsInf(req.Temperature, 0) {
		return b, fmt.Errorf("engine: temperature must be a finite number, got %v", req.Temperature)
	}
	if !has("temperature") {
		key("temperature")
		b = strconv.AppendFloat(b, req.Temperature, 'g', -1, 64)
	}
	if req.Seed != nil && !has("seed") {
		key("seed")
		b = strconv.AppendInt(b, *req.Seed, 10)
	}
	if !has("stream") {
		key("stream")
		b = strconv.AppendBool(b, req.Stream)
	}
	if req.Stream && !has("stream_options") {
		key("stream_options")
		b = append(b, `{"include_usage":true}`...)
	}
	b = d.appendLengthFields(b, req, has)
	keys := make([]string, 0, len(req.Extra))
	for k := range req.Extra {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		v, err := json.Marshal(req.Extra[k])
		if err != nil {
			return b, fmt.Errorf("engine: request field %q: %w", k, err)
		}
		key(k)
		b = append(b, v...)
	}
	return append(b, '}'), nil
}

const hexDigits = "0123456789abcdef"

// appendJSONString appends s as a JSON string. Invalid UTF-8 becomes
// U+FFFD, as encoding/json does.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i++
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
