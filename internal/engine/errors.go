package engine

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"unicode/utf8"
)

// Sentinels for errors.Is, besides the typed *StatusError and *StreamError.
var (
	// ErrUnreachable: the engine could not be connected to.
	ErrUnreachable = errors.New("cannot reach engine")
	// ErrBroken: the response stopped before its end (connection reset,
	// unexpected EOF).
	ErrBroken = errors.New("response broken")
	// ErrMalformed: a chunk or body was not the JSON the API defines.
	ErrMalformed = errors.New("malformed chunk")
)

// maxErrorBody bounds how much of an error response is read.
const maxErrorBody = 64 << 10

// statusError reads an error response and builds its StatusError, with
// the engine's own message when the body has one.
func statusError(hresp *http.Response) *StatusError {
	body, _ := io.ReadAll(io.LimitReader(hresp.Body, maxErrorBody))
	typ, msg := errorBodyMessage(body)
	return &StatusError{Code: hresp.StatusCode, Type: typ, Message: msg}
}

// errorBodyMessage finds the message in an error body. It knows
//
//	OpenAI, llama.cpp, SGLang, newer vLLM: {"error":{"message","type","code"}}
//	older vLLM, SGLang, MII (FastChat):    {"object":"error","message","type","code"}
//	TGI:                                   {"error":"...","error_type":"..."}
//	FastAPI:                               {"detail":"..."} or {"detail":[{"msg":...}]}
//
// and falls back to the body as text, truncated.
func errorBodyMessage(body []byte) (typ, msg string) {
	body = bytes.TrimSpace(body)
	var w struct {
		Error     json.RawMessage `json:"error"`
		ErrorType json.RawMessage `json:"error_type"`
		Object    json.RawMessage `json:"object"`
		Message   json.RawMessage `json:"message"`
		Type      json.RawMessage `json:"type"`
		Detail    json.RawMessage `json:"detail"`
	}
	if len(body) > 0 && body[0] == '{' && json.Unmarshal(body, &w) == nil {
		if len(w.Error) > 0 && string(w.Error) != "null" {
			e := parseErrorValue(w.Error, rawString(w.ErrorType))
			return e.Type, e.Message
		}
		if m := rawString(w.Message); m != "" {
			return rawString(w.Type), truncate(m, maxErrorText)
		}
		if d := rawString(w.Detail); d != "" {
			return "", truncate(d, maxErrorText)
		}
		var details []struct {
			Msg string `json:"msg"`
		}
		if json.Unmarshal(w.Detail, &details) == nil && len(details) > 0 && details[0].Msg != "" {
			return "", truncate(details[0].Msg, maxErrorText)
		}
	}
	return "", plainText(body)
}

// plainText makes an error body fit to quote: valid UTF-8, one line,
// truncated.
func plainText(b []byte) string {
	if len(b) > maxErrorText {
		b = b[:maxErrorText]
		for len(b) > 0 && !utf8.Valid(b) {
			b = b[:len(b)-1]
		}
		return strings.Join(strings.Fields(string(b)), " ") + "…"
	}
	return strings.Join(strings.Fields(strings.ToValidUTF8(string(b), "\uFFFD")), " ")
}

// reachError is a failure to connect to the engine.
type reachError struct {
	url string
	err error
}

func (e *reachError) Error() string {
	cause := e.err
	for {
		next := errors.Unwrap(cause)
		if next == nil {
			break
		}
		cause = next
	}
	return "engine: cannot reach " + e.url + ": " + cause.Error()
}

func (e *reachError) Unwrap() error { return e.err }

// Is makes errors.Is(err, ErrUnreachable) true.
func (e *reachError) Is(target error) bool { return target == ErrUnreachable }

// redactedError replaces an API key in an error's text. It answers
// errors.Is for its cause but does not unwrap to it, so no caller can
// print the unredacted text by walking the chain.
type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }

// Is reports whether the redacted cause matches target.
func (e *redactedError) Is(target error) bool { return errors.Is(e.err, target) }

// redact keeps secret out of err's text. A typed error a caller branches
// on (*StatusError, *StreamError) keeps its type, with the secret
// removed from its message.
func redact(err error, secret string) error {
	if err == nil || secret == "" || !strings.Contains(err.Error(), secret) {
		return err
	}
	const mask = "[redacted]"
	var se *StatusError
	if errors.As(err, &se) && err == error(se) {
		c := *se
		c.Message = strings.ReplaceAll(c.Message, secret, mask)
		c.Type = strings.ReplaceAll(c.Type, secret, mask)
		return &c
	}
	var st *StreamError
	if errors.As(err, &st) && err == error(st) {
		c := *st
		c.Message = strings.ReplaceAll(c.Message, secret, mask)
		c.Type = strings.ReplaceAll(c.Type, secret, mask)
		return &c
	}
	return &redactedError{msg: strings.ReplaceAll(err.Error(), secret, mask), err: err}
}
