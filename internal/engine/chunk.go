package engine

import (
	"strconv"
)

// chunkInfo is what one streamed event (or one non-streamed body) said,
// reduced to the fields a benchmark needs.
type chunkInfo struct {
	// textLen is how many bytes of output text the event appended to the
	// decoder's destination buffer (every choice's text, delta.content,
	// delta.reasoning_content and delta.reasoning, in that order).
	textLen int
	// tokens counts token_ids (or logprobs entries) the event carried.
	tokens int
	finish string
	usage  *Usage
	// timings are llama.cpp's engine-side timings (numbers only).
	timings map[string]float64
	// err is an error object the engine sent instead of a chunk.
	err *StreamError
}

// chunkDecoder decodes chunk JSON. Its fast path is a hand-written scanner
// that visits only the fields a benchmark needs and does not allocate in
// the common case; anything it does not handle exactly like encoding/json
// (malformed input, a repeated key, an error object, a non-streamed chat
// "message") goes to encoding/json, which defines the result and the error
// text.
type chunkDecoder struct {
	p       parser
	text    []byte // per-choice scratch: completions text
	content []byte // delta.content
	reason  []byte // delta.reasoning_content
	reason2 []byte // delta.reasoning (Ollama)
	finish  []byte
	object  []byte
}

// decode decodes data, appending the output text to *dst.
func (d *chunkDecoder) decode(data []byte, dst *[]byte) (chunkInfo, error) {
	start := len(*dst)
	info, ok := d.fast(data, dst)
	if ok {
		info.textLen = len(*dst) - start
		return info, nil
	}
	*dst = (*dst)[:start]
	return decodeChunkSlow(data, dst)
}

// seen records keys already met in one object; a repeat sends the input to
// encoding/json, whose last-one-wins-into-the-same-value rules are not
// worth copying.
type seen uint16

func (s *seen) first(bit seen) bool {
	if *s&bit != 0 {
		return false
	}
	*s |= bit
	return true
}

// fast is the allocation-free path. It reports false for anything it does
// not handle exactly like encoding/json, including every malformed input.
func (d *chunkDecoder) fast(data []byte, dst *[]byte) (info chunkInfo, ok bool) {
	p := &d.p
	p.reset(data)
	p.ws()
	if p.lit("null") {
		p.ws()
		return info, p.eof()
	}
	var (
		keys       seen
		haveUsage  bool
		usage      Usage
		isError    bool
		objIsError bool
	)
	okObj := p.object(func(key []byte) bool {
		switch string(key) {
		case "choices":
			return keys.first(1) && d.choices(&info, dst)
		case "usage":
			if !keys.first(2) {
				return false
			}
			if p.lit("null") {
				return true
			}
			haveUsage = true
			return d.usage(&usage)
		case "timings":
			return keys.first(4) && d.timings(&info)
		case "error":
			if !keys.first(8) {
				return false
			}
			isError = !p.lit("null")
			return !isError || p.skip()
		case "object":
			if !keys.first(16) {
				return false
			}
			if p.peek() != '"' {
				return p.skip()
			}
			if !p.stringInto(&d.object) {
				return false
			}
			objIsError = string(d.object) == "error"
			return true
		}
		return p.unknown(key)
	})
	if !okObj {
		return info, false
	}
	p.ws()
	if !p.eof() || isError || objIsError {
		// Malformed, or an error object: the reference decoder builds it.
		return info, false
	}
	if haveUsage {
		u := usage
		info.usage = &u
	}
	return info, true
}

// choices decodes a "choices" value (an array of choice objects, or null).
func (d *chunkDecoder) choices(info *chunkInfo, dst *[]byte) bool {
	p := &d.p
	if p.lit("null") {
		return true
	}
	return p.array(func() bool {
		if p.lit("null") {
			return true
		}
		d.text, d.content, d.reason, d.reason2 = d.text[:0], d.content[:0], d.reason[:0], d.reason2[:0]
		var keys seen
		haveFinish := false
		tokenIDs, logTokens, logContent := -1, 0, 0
		ok := p.object(func(key []byte) bool {
			switch string(key) {
			case "text":
				return keys.first(1) && p.stringInto(&d.text)
			case "delta":
				return keys.first(2) && d.delta()
			case "message":
				return false // non-streamed chat: encoding/json
			case "finish_reason":
				if !keys.first(4) {
					return false
				}
				if p.lit("null") {
					return true
				}
				haveFinish = true
				d.finish = d.finish[:0]
				return p.appendString(&d.finish)
			case "token_ids":
				if !keys.first(8) {
					return false
				}
				if p.lit("null") {
					return true
				}
				n, ok := p.countArray()
				tokenIDs = n
				return ok
			case "logprobs":
				return keys.first(16) && d.logprobs(&logTokens, &logContent)
			}
			return p.unknown(key)
		})
		if !ok {
			return false
		}
		*dst = append(*dst, d.text...)
		*dst = append(*dst, d.content...)
		*dst = append(*dst, d.reason...)
		*dst = append(*dst, d.reason2...)
		switch {
		case tokenIDs >= 0:
			info.tokens += tokenIDs
		case logTokens > 0:
			info.tokens += logTokens
		default:
			info.tokens += logContent
		}
		if haveFinish && len(d.finish) > 0 {
			info.finish = string(d.finish)
		}
		return true
	})
}

// delta decodes a "delta" object.
func (d *chunkDecoder) delta() bool {
	p := &d.p
	if p.lit("null") {
		return true
	}
	var keys seen
	return p.object(func(key []byte) bool {
		switch string(key) {
		case "content":
			return keys.first(1) && p.stringInto(&d.content)
		case "reasoning_content":
			return keys.first(2) && p.stringInto(&d.reason)
		case "reasoning":
			return keys.first(4) && p.stringInto(&d.reason2)
		}
		return p.unknown(key)
	})
}

// logprobs counts completions' logprobs.tokens and chat's logprobs.content.
func (d *chunkDecoder) logprobs(tokens, content *int) bool {
	p := &d.p
	if p.lit("null") {
		return true
	}
	var keys seen
	return p.object(func(key []byte) bool {
		var dst *int
		switch string(key) {
		case "tokens":
			if !keys.first(1) {
				return false
			}
			dst = tokens
		case "content":
			if !keys.first(2) {
				return false
			}
			dst = content
		default:
			return p.unknown(key)
		}
		if p.lit("null") {
			return true
		}
		n, ok := p.countArray()
		*dst = n
		return ok
	})
}

func (d *chunkDecoder) usage(u *Usage) bool {
	p := &d.p
	var keys seen
	return p.object(func(key []byte) bool {
		var dst *int
		switch string(key) {
		case "prompt_tokens":
			if !keys.first(1) {
				return false
			}
			dst = &u.PromptTokens
		case "completion_tokens":
			if !keys.first(2) {
				return false
			}
			dst = &u.CompletionTokens
		case "total_tokens":
			if !keys.first(4) {
				return false
			}
			dst = &u.TotalTokens
		default:
			return p.unknown(key)
		}
		if p.lit("null") {
			return true
		}
		return p.int(dst)
	})
}

// timings decodes llama.cpp's "timings" object, keeping numbers only.
func (d *chunkDecoder) timings(info *chunkInfo) bool {
	p := &d.p
	if p.lit("null") {
		return true
	}
	m := map[string]float64{}
	ok := p.object(func(key []byte) bool {
		if c := p.peek(); c != '-' && (c < '0' || c > '9') {
			if _, dup := m[string(key)]; dup {
				return false
			}
			return p.skip()
		}
		num, _, ok := p.number()
		if !ok {
			return false
		}
		f, err := strconv.ParseFloat(string(num), 64)
		if err != nil {
			return false
		}
		if _, dup := m[string(key)]; dup {
			return false
		}
		m[string(key)] = f
		return true
	})
	info.timings = m
	return ok
}
