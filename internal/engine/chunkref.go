package engine

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// The reference decoder: encoding/json on structs that say what the fast
// path means. It is used when the fast path gives up, and by the tests and
// the fuzzer as the definition of a correct decode.

type wireChunk struct {
	Object    json.RawMessage            `json:"object"`
	Message   json.RawMessage            `json:"message"`
	Type      json.RawMessage            `json:"type"`
	ErrorType json.RawMessage            `json:"error_type"`
	Choices   []*wireChoice              `json:"choices"`
	Usage     *wireUsage                 `json:"usage"`
	Timings   map[string]json.RawMessage `json:"timings"`
	Error     json.RawMessage            `json:"error"`
}

type wireUsage struct {
	PromptTokens     *int `json:"prompt_tokens"`
	CompletionTokens *int `json:"completion_tokens"`
	TotalTokens      *int `json:"total_tokens"`
}

type wireChoice struct {
	Text         string            `json:"text"`
	Delta        *wireDelta        `json:"delta"`
	Message      *wireDelta        `json:"message"`
	FinishReason *string           `json:"finish_reason"`
	TokenIDs     []json.RawMessage `json:"token_ids"`
	Logprobs     *wireLogprobs     `json:"logprobs"`
}

type wireDelta struct {
	Content          string `json:"content"`
	ReasoningContent string `json:"reasoning_content"`
	Reasoning        string `json:"reasoning"`
}

type wireLogprobs struct {
	Tokens  []json.RawMessage `json:"tokens"`
	Content []json.RawMessage `json:"content"`
}

type wireError struct {
	Message json.RawMessage `json:"message"`
	Type    json.RawMessage `json:"type"`
}

// decodeChunkSlow decodes data with encoding/json.
func decodeChunkSlow(data []byte, dst *[]byte) (chunkInfo, error) {
	var info chunkInfo
	var w wireChunk
	if err := json.Unmarshal(data, &w); err != nil {
		return info, fmt.Errorf("engine: %w: %v: %s", ErrMalformed, err, clip(data, 200))
	}
	start := len(*dst)
	for _, c := range w.Choices {
		if c == nil {
			continue
		}
		// With both keys present encoding/json fills the one struct that
		// "delta"/"message" share in the fast path only in key order; the
		// fast path reads both into the same buffers, so mirror that by
		// letting delta win only when it came last. Engines never send both.
		var content, reason, reason2 string
		for _, m := range []*wireDelta{c.Message, c.Delta} {
			if m != nil {
				if m.Content != "" {
					content = m.Content
				}
				if m.ReasoningContent != "" {
					reason = m.ReasoningContent
				}
				if m.Reasoning != "" {
					reason2 = m.Reasoning
				}
			}
		}
		*dst = append(*dst, c.Text...)
		*dst = append(*dst, content...)
		*dst = append(*dst, reason...)
		*dst = append(*dst, reason2...)
		switch {
		case c.TokenIDs != nil:
			info.tokens += len(c.TokenIDs)
		case c.Logprobs != nil && len(c.Logprobs.Tokens) > 0:
			info.tokens += len(c.Logprobs.Tokens)
		case c.Logprobs != nil:
			info.tokens += len(c.Logprobs.Content)
		}
		if c.FinishReason != nil && *c.FinishReason != "" {
			info.finish = *c.FinishReason
		}
	}
	info.textLen = len(*dst) - start
	if w.Usage != nil {
		u := Usage{}
		for _, f := range []struct {
			src *int
			dst *int
		}{
			{w.Usage.PromptTokens, &u.PromptTokens},
			{w.Usage.CompletionTokens, &u.CompletionTokens},
			{w.Usage.TotalTokens, &u.TotalTokens},
		} {
			if f.src != nil {
				*f.dst = *f.src
			}
		}
		info.usage = &u
	}
	if w.Timings != nil {
		info.timings = make(map[string]float64, len(w.Timings))
		for k, v := range w.Timings {
			var f float64
			if len(v) > 0 && (v[0] == '-' || v[0] >= '0' && v[0] <= '9') {
				if err := json.Unmarshal(v, &f); err == nil {
					info.timings[k] = f
				}
			}
		}
	}
	switch {
	case len(w.Error) > 0 && !bytes.Equal(w.Error, []byte("null")):
		info.err = parseErrorValue(w.Error, rawString(w.ErrorType))
	case rawString(w.Object) == "error":
		info.err = &StreamError{Type: rawString(w.Type), Message: rawString(w.Message)}
		if info.err.Message == "" {
			info.err.Message = string(clip(data, maxErrorText))
		}
	}
	return info, nil
}

// parseErrorValue turns the value of an "error" key into a StreamError: an
// object {"message","type",...} (OpenAI, vLLM, SGLang, llama.cpp) or a
// string (TGI, whose type is in a sibling "error_type").
func parseErrorValue(raw json.RawMessage, siblingType string) *StreamError {
	if s := rawString(raw); s != "" {
		return &StreamError{Type: siblingType, Message: truncate(s, maxErrorText)}
	}
	var we wireError
	if err := json.Unmarshal(raw, &we); err == nil {
		e := &StreamError{Type: rawString(we.Type), Message: truncate(rawString(we.Message), maxErrorText)}
		if e.Message != "" {
			return e
		}
	}
	return &StreamError{Type: siblingType, Message: string(clip(raw, maxErrorText))}
}

// rawString returns raw's value when it is a JSON string, else "".
func rawString(raw json.RawMessage) string {
	if len(raw) == 0 || raw[0] != '"' {
		return ""
	}
	var s string
	if json.Unmarshal(raw, &s) != nil {
		return ""
	}
	return s
}

// maxErrorText bounds engine messages quoted in errors.
const maxErrorText = 512

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

func clip(b []byte, n int) []byte {
	if len(b) <= n {
		return b
	}
	out := make([]byte, 0, n+3)
	out = append(out, b[:n]...)
	return append(out, "…"...)
}
