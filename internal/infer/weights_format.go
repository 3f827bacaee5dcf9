package infer

import (
	"fmt"

	"github.com/muaibench/muaibench/internal/infer/kernels"
)

// Option configures how weights are built or loaded, and how the model
// runs.
type Option func(*options)

type options struct {
	format, kvCache kernels.Format
}

// WithFormat stores the weight matrices in format f, converted tensor by
// tensor as they are drawn or read, so the full FP32 model is never held
// next to the converted one. The Linear layers take f; the token
// embedding (tied to the LM head) takes f too, except that INT4 keeps it
// in INT8, since the logits are where 4 bits cost the most quality.
// LayerNorm, biases and the position embedding stay FP32. The default is
// FP32.
func WithFormat(f kernels.Format) Option { return func(o *options) { o.format = f } }

// WithKVCache stores the KV cache's keys and values in format f: FP32
// (the default) or FP16, which halves the cache's bytes, and with them
// both the memory a context takes and what decode's attention reads per
// token, for a rounding of each stored value to 11 significant bits (as
// llama.cpp's default f16 cache and vLLM's fp16 "auto" on CPUs do).
// Attention's arithmetic stays FP32. Other formats are an error when the
// model is made.
func WithKVCache(f kernels.Format) Option { return func(o *options) { o.kvCache = f } }

// checkKVCache reports an error for a KV cache format the model lacks.
func (o options) checkKVCache() error {
	if o.kvCache != kernels.FP32 && o.kvCache != kernels.FP16 {
		return fmt.Errorf("infer: KV cache format %s is not supported (valid: fp32, fp16)", o.kvCache)
	}
	return nil
}

func applyOptions(opts []Option) options {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	return o
}

// embedFormat is the token embedding's format for linear-layer format f.
func embedFormat(f kernels.Format) kernels.Format {
	if f == kernels.INT4 {
		return kernels.INT8
	}
	return f
}

// Precision describes which parts of the weights stay in higher precision
// than w.Format, for the model card.
func (w *Weights) Precision() string {
	if w.Format == kernels.FP32 {
		return "all fp32"
	}
	s := "linear layers " + w.Format.String() + "; token embedding/LM head " +
		w.EmbedFormat.String() + "; layernorm, biases, position embedding fp32"
	if w.Format == kernels.INT8 || w.Format == kernels.INT4 {
		s += "; activations fp32, quantized to int8 per block of 32 inside the integer matrix products"
	}
	return s
}
