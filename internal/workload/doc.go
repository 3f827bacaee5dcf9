// Package workload makes what a benchmark sends: prompts of an exact token
// length, their chat form, the plan's short, medium and long prompt sets,
// and datasets of prompts with their input and output lengths.
//
// A prompt of n tokens is an instruction from Instructions, a blank line,
// and a slice of a bundled public-domain text (text/README.md says which),
// cut so that the tokenizer encodes the whole prompt to exactly n tokens.
// Each index starts at a different place in the text, so that engines with
// prefix caching (vLLM, SGLang) cannot reuse one prompt's KV cache for the
// next; the same seed and index always give the same prompt.
//
// Token counts are without special tokens: an engine that adds a
// beginning-of-sequence token (Llama 3) reports n+1 prompt tokens, and a
// chat template adds its own tokens around each message's content.
package workload
