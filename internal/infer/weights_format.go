package infer

import "github.com/muaibench/muaibench/internal/infer/kernels"

// Option configures how weights are built or loaded.
type Option func(*options)

type options struct {
	format kernels.Format
}

// WithFormat stores the weight matrices in format f, converted tensor by
// tensor as they are drawn or read, so the full FP32 model is never held
// next to the converted one. The Linear layers take f; the token
// embedding (tied to the LM head) takes f too, except that INT4 keeps it
// in INT8, since the logits are where 4 bits cost the most quality.
// LayerNorm, biases and the position embedding stay FP32. The default is
// FP32.
func WithFormat(f kernels.Format) Option { return func(o *options) { o.format = f } }

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
