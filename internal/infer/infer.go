// Package infer is the embedded engine's compute side: model
// architectures behind the Model interface, their weights, and the
// block KV cache the scheduler hands out.
package infer

// Shape is a GPT-2-family model's hyper-parameters.
type Shape struct {
	Name    string `json:"name"`
	Layers  int    `json:"n_layer"`
	Heads   int    `json:"n_head"`
	Embd    int    `json:"n_embd"`
	Context int    `json:"n_ctx"`
	Vocab   int    `json:"vocab_size"`
}

// ModelInfo describes a loaded model for the model card, /v1/models and
// results.
type ModelInfo struct {
	Shape Shape
	// Weights says where the weights came from: "synthetic" or the
	// checkpoint path.
	Weights string
	// WeightsSHA256 is the checkpoint's hash, or the synthetic seed as text.
	WeightsSHA256 string
	// Quantization is the weight format: fp32, fp16, int8 or int4.
	Quantization string
	// Precision says which weights stay in higher precision than
	// Quantization.
	Precision string
	// KVCache is the format of the KV cache's keys and values: fp32 or
	// fp16.
	KVCache string
	// WeightBytes is the resident size of the weights.
	WeightBytes int64
	// Params is the number of parameters.
	Params int64
	// EOS is the end-of-text token id.
	EOS int
}

// Seq is one sequence's share of a forward step.
type Seq struct {
	// Cache holds the sequence's keys and values so far; Forward appends
	// the new tokens' entries. Its blocks must already be reserved for
	// Cache.Len+len(Tokens) tokens.
	Cache *SeqCache
	// Tokens are the new tokens: a prefill chunk or one decode token.
	// Their positions start at Cache.Len.
	Tokens []int
	// Logits, when non-nil (length Vocab), receives the logits of the last
	// token in Tokens.
	Logits []float32
}

// Model is one architecture's forward pass, driven by the scheduler.
type Model interface {
	Info() ModelInfo
	// NewKVPool makes a block KV cache laid out for this model, holding at
	// most capacityBytes of keys and values.
	NewKVPool(capacityBytes int64, blockTokens int) *KVPool
	// Forward runs one step over a batch of sequences, appends each one's
	// keys and values to its cache (advancing Cache.Len) and fills the
	// logits asked for. It may use every core.
	Forward(batch []Seq) error
}
