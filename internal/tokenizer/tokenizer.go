// Package tokenizer turns text into token ids and back: GPT-2's byte-level
// BPE offline, and byte-level BPE models read from a Hugging Face
// tokenizer.json.
package tokenizer

// Tokenizer encodes and decodes one model's tokens.
type Tokenizer interface {
	// Name says which vocabulary this is ("gpt2", or the tokenizer.json path).
	Name() string
	// Encode returns the token ids of text, with no special tokens added.
	Encode(text string) []int
	// Decode returns the text of ids. Bytes that do not form valid UTF-8
	// on their own are kept as they are.
	Decode(ids []int) string
	// TokenBytes returns the raw bytes of one token (nil for an unknown id).
	TokenBytes(id int) []byte
	// VocabSize is the number of ids, special tokens included.
	VocabSize() int
	// EOS is the end-of-text id, or -1 when the vocabulary has none.
	EOS() int
}
