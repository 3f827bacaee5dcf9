package engine

import (
	"fmt"
	"strconv"
	"strings"
)

// Dialect is the flavour of OpenAI-compatible API an engine speaks: the
// same routes and chunk shapes, different knobs for forcing the output
// length and different habits about usage in streams.
type Dialect string

// The dialects the client knows. What each one sends is written down in
// testdata/transcripts/README.md, with the engine source it comes from.
const (
	DialectOpenAI   Dialect = "openai"   // plain OpenAI API: no length forcing
	DialectVLLM     Dialect = "vllm"     // vLLM: ignore_eos, min_tokens
	DialectSGLang   Dialect = "sglang"   // SGLang: ignore_eos, min_tokens
	DialectLlamaCpp Dialect = "llamacpp" // llama.cpp llama-server: ignore_eos
	DialectOllama   Dialect = "ollama"   // Ollama /v1: cannot force length
	DialectTGI      Dialect = "tgi"      // Hugging Face TGI Messages API: cannot force length
	DialectMII      Dialect = "mii"      // DeepSpeed-MII OpenAI server: min_tokens only
	DialectTRTLLM   Dialect = "trtllm"   // TensorRT-LLM trtllm-serve: ignore_eos, min_tokens
)

// DialectInfo describes what a dialect can do.
type DialectInfo struct {
	Dialect Dialect
	// Engine is the engine's name for people.
	Engine string
	// IgnoreEOS is whether the request body can say ignore_eos.
	IgnoreEOS bool
	// MinTokens is whether the request body can say min_tokens.
	MinTokens bool
	// StreamUsage says when a stream carries a usage object.
	StreamUsage string
	// Warning is set when the dialect cannot force the output length, so
	// output token counts may fall short of what was asked.
	Warning string
}

var dialects = []DialectInfo{
	{Dialect: DialectOpenAI, Engine: "OpenAI-compatible",
		StreamUsage: "when stream_options.include_usage is set, in a last chunk with choices: []",
		Warning:     "openai: the plain OpenAI API has no ignore_eos or min_tokens; output may stop early at EOS, so output length is not fixed"},
	{Dialect: DialectVLLM, Engine: "vLLM", IgnoreEOS: true, MinTokens: true,
		StreamUsage: "when stream_options.include_usage is set, in a last chunk with choices: []"},
	{Dialect: DialectSGLang, Engine: "SGLang", IgnoreEOS: true, MinTokens: true,
		StreamUsage: "when stream_options.include_usage is set, in a last chunk with choices: []"},
	{Dialect: DialectLlamaCpp, Engine: "llama.cpp", IgnoreEOS: true,
		StreamUsage: "completions: always, in the finishing chunk (with timings); chat: when include_usage is set, in a choices: [] chunk"},
	{Dialect: DialectOllama, Engine: "Ollama", StreamUsage: "when stream_options.include_usage is set, in a last chunk with choices: []",
		Warning: "ollama: the /v1 API has no ignore_eos, min_tokens or options; output may stop early at EOS, so output length is not fixed"},
	{Dialect: DialectTGI, Engine: "Text Generation Inference",
		StreamUsage: "chat: when stream_options.include_usage is set, in the finishing chunk; completions: never",
		Warning:     "tgi: the OpenAI routes have no ignore_eos or min_tokens; output may stop early at EOS, so output length is not fixed"},
	{Dialect: DialectMII, Engine: "DeepSpeed-MII", MinTokens: true, StreamUsage: "never (usage only in non-streamed responses)"},
	{Dialect: DialectTRTLLM, Engine: "TensorRT-LLM", IgnoreEOS: true, MinTokens: true,
		StreamUsage: "when stream_options.include_usage is set, in a last chunk with choices: []"},
}

// Dialects lists every dialect, in a stable order.
func Dialects() []Dialect {
	out := make([]Dialect, len(dialects))
	for i, d := range dialects {
		out[i] = d.Dialect
	}
	return out
}

var dialectAliases = map[string]Dialect{
	"":                          DialectOpenAI,
	"llama.cpp":                 DialectLlamaCpp,
	"llama-cpp":                 DialectLlamaCpp,
	"llama_cpp":                 DialectLlamaCpp,
	"llama-server":              DialectLlamaCpp,
	"text-generation-inference": DialectTGI,
	"deepspeed-mii":             DialectMII,
	"deepspeed":                 DialectMII,
	"tensorrt-llm":              DialectTRTLLM,
	"trt-llm":                   DialectTRTLLM,
	"trtllm-serve":              DialectTRTLLM,
}

// ParseDialect returns the dialect called name (case-insensitive; a few
// common spellings such as "llama.cpp" and "tensorrt-llm" are accepted).
// An empty name is the plain OpenAI dialect.
func ParseDialect(name string) (Dialect, error) {
	n := strings.ToLower(strings.TrimSpace(name))
	if d, ok := dialectAliases[n]; ok {
		return d, nil
	}
	for _, d := range dialects {
		if string(d.Dialect) == n {
			return d.Dialect, nil
		}
	}
	valid := make([]string, len(dialects))
	for i, d := range dialects {
		valid[i] = string(d.Dialect)
	}
	return "", fmt.Errorf("engine: unknown dialect %q (valid: %s)", name, strings.Join(valid, ", "))
}

// Info describes d; an unknown dialect is described as plain OpenAI.
func (d Dialect) Info() DialectInfo {
	for _, i := range dialects {
		if i.Dialect == d {
			return i
		}
	}
	i := dialects[0]
	i.Dialect = d
	return i
}

// Warning returns what a user should know before trusting output lengths
// for req under d: non-empty when req asks for a fixed output length
// (IgnoreEOS or MinTokens) that the dialect cannot enforce.
func (d Dialect) Warning(req Request) string {
	if !req.IgnoreEOS && req.MinTokens == 0 {
		return ""
	}
	return d.Info().Warning
}

func (d Dialect) String() string { return string(d) }

// appendLengthFields appends the body fields that make the engine produce
// the asked output length, each as `,"key":value`, leaving out keys that
// the caller overrides (has reports them).
func (d Dialect) appendLengthFields(b []byte, req Request, has func(string) bool) []byte {
	info := d.Info()
	if info.IgnoreEOS && req.IgnoreEOS && !has("ignore_eos") {
		b = append(b, `,"ignore_eos":true`...)
	}
	if !info.MinTokens || has("min_tokens") {
		return b
	}
	minTokens := req.MinTokens
	if d == DialectMII && req.IgnoreEOS && req.MaxTokens > minTokens {
		// MII's server hard-codes ignore_eos false; min_tokens (sent on
		// as min_new_tokens) is its only way to force the length.
		minTokens = req.MaxTokens
	}
	if minTokens > 0 {
		b = append(b, `,"min_tokens":`...)
		b = strconv.AppendInt(b, int64(minTokens), 10)
	}
	return b
}
