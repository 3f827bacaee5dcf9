package infer

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// hfConfig is the part of a Hugging Face GPT-2 config.json the model needs.
type hfConfig struct {
	NLayer     int `json:"n_layer"`
	NHead      int `json:"n_head"`
	NEmbd      int `json:"n_embd"`
	NCtx       int `json:"n_ctx"`
	NPositions int `json:"n_positions"`
	VocabSize  int `json:"vocab_size"`
}

// ReadShape reads the model shape from dir/config.json. The shape takes the
// name of the known shape with the same dimensions, else the directory's.
func ReadShape(dir string) (Shape, error) {
	b, err := os.ReadFile(filepath.Join(dir, "config.json"))
	if err != nil {
		return Shape{}, fmt.Errorf("infer: checkpoint config: %w", err)
	}
	var c hfConfig
	if err := json.Unmarshal(b, &c); err != nil {
		return Shape{}, fmt.Errorf("infer: checkpoint config %s: %w", filepath.Join(dir, "config.json"), err)
	}
	s := Shape{Layers: c.NLayer, Heads: c.NHead, Embd: c.NEmbd, Context: cmpOrInt(c.NPositions, c.NCtx), Vocab: c.VocabSize}
	s.Name = knownShape(s)
	if s.Name == "" {
		s.Name = filepath.Base(dir)
	}
	if err := s.Validate(); err != nil {
		return Shape{}, fmt.Errorf("infer: checkpoint config %s: %w", filepath.Join(dir, "config.json"), err)
	}
	return s, nil
}

func cmpOrInt(a, b int) int {
	if a != 0 {
		return a
	}
	return b
}

// LoadWeights reads a Hugging Face GPT-2 checkpoint: dir/config.json and
// dir/model.safetensors (F32, F16 or BF16; names with or without the
// "transformer." prefix). Tensors are read one at a time and packed, so
// the load never holds two copies of the model. A tensor whose shape does
// not fit the config stops the load with an error naming both shapes.
// Options choose the storage format (WithFormat).
func LoadWeights(ctx context.Context, dir string, opts ...Option) (*Weights, error) {
	shape, err := ReadShape(dir)
	if err != nil {
		return nil, err
	}
	path := filepath.Join(dir, "model.safetensors")
	sum := make(chan hashResult, 1)
	go func() { sum <- hashFile(path) }()

	w, err := loadSafetensors(ctx, shape, path, opts)
	h := <-sum
	if err != nil {
		return nil, err
	}
	if h.err != nil {
		return nil, fmt.Errorf("infer: hashing checkpoint: %w", h.err)
	}
	w.Source = path
	w.SHA256 = h.sum
	return w, nil
}

func loadSafetensors(ctx context.Context, shape Shape, path string, opts []Option) (*Weights, error) {
	f, err := OpenSafetensors(path)
	if err != nil {
		return nil, fmt.Errorf("infer: %w", err)
	}
	defer f.Close()
	w, err := newWeights(shape, opts)
	if err != nil {
		return nil, err
	}
	prefix := ""
	if _, ok := f.Tensor("transformer.wte.weight"); ok {
		prefix = "transformer."
	}
	specs := w.specs()
	want := make(map[string]bool, len(specs))
	for _, t := range specs {
		want[prefix+t.name] = true
	}
	for _, t := range f.Tensors() {
		if !want[t.Name] && !ignoredTensor(t.Name) {
			return nil, fmt.Errorf("infer: checkpoint %s: unexpected tensor %q (shape %v) for a GPT-2 model", path, t.Name, t.Shape)
		}
	}
	fill := func(t *tensorSpec, dst []float32, off int) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := f.ReadFloat32At(prefix+t.name, dst, off); err != nil {
			return fmt.Errorf("infer: %w", err)
		}
		return nil
	}
	for i := range specs {
		t := &specs[i]
		name := prefix + t.name
		info, ok := f.Tensor(name)
		if !ok {
			return nil, fmt.Errorf("infer: checkpoint %s: missing tensor %q", path, name)
		}
		if !slices.Equal(info.Shape, t.shape) {
			return nil, fmt.Errorf("infer: checkpoint tensor %s has shape %v, model %s wants %v", name, info.Shape, shape.Name, t.shape)
		}
	}
	if err := buildWeights(specs, fill); err != nil {
		return nil, err
	}
	return w, nil
}

// ignoredTensor reports the buffers and tied copies a GPT-2 checkpoint may
// carry that the model does not load: the causal-mask buffers and the LM
// head, which is the token embedding.
func ignoredTensor(name string) bool {
	return strings.HasSuffix(name, ".attn.bias") || strings.HasSuffix(name, ".attn.masked_bias") ||
		name == "lm_head.weight"
}

type hashResult struct {
	sum string
	err error
}

func hashFile(path string) hashResult {
	f, err := os.Open(path)
	if err != nil {
		return hashResult{err: err}
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return hashResult{err: err}
	}
	return hashResult{sum: hex.EncodeToString(h.Sum(nil))}
}
