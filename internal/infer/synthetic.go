package infer

import (
	"math/rand/v2"
	"strconv"
)

// synthChunk is the number of elements drawn from one PRNG stream. Each
// chunk of each tensor has its own stream, so the weights depend on the
// seed alone, not on how many goroutines draw them.
const synthChunk = 1 << 18

// SyntheticWeights returns deterministic weights of the given shape drawn
// from seed with GPT-2's initialisation: normal(0, 0.02) for the
// embeddings and Linear weights, 0.02/sqrt(2·n_layer) for the residual
// projections, LayerNorm γ=1 and β=0, zero biases. Equal seeds give equal
// weights; the draw uses every core.
//
// Matrices are drawn into a scratch buffer per core that is reused for
// every tensor and packed from there, so no second full copy of the model
// is ever held. Options choose the storage format (WithFormat); the drawn
// values do not depend on it.
func SyntheticWeights(shape Shape, seed uint64, opts ...Option) (*Weights, error) {
	w, err := newWeights(shape, opts)
	if err != nil {
		return nil, err
	}
	w.Source = "synthetic"
	w.SHA256 = strconv.FormatUint(seed, 10)
	specs := w.specs()
	index := make(map[*tensorSpec]uint64, len(specs))
	for i := range specs {
		index[&specs[i]] = uint64(i)
	}
	err = buildWeights(specs, func(t *tensorSpec, dst []float32, off int) error {
		if t.std == 0 {
			for j := range dst {
				dst[j] = t.fill
			}
			return nil
		}
		drawNormal(dst, t.std, seed, index[t], off)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return w, nil
}

// drawNormal fills data, elements [off, off+len(data)) of a tensor, with
// normal(0, std) values, chunk by chunk. Each chunk draws from its own
// stream, named by the seed, the tensor and its first element.
func drawNormal(data []float32, std float64, seed, tensor uint64, off int) {
	for c := 0; c*synthChunk < len(data); c++ {
		r := rand.New(rand.NewPCG(seed, tensor<<40|uint64(off+c*synthChunk)))
		part := data[c*synthChunk : min((c+1)*synthChunk, len(data))]
		for j := range part {
			part[j] = float32(r.NormFloat64() * std)
		}
	}
}
