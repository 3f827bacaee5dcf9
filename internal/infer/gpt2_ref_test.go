package infer

import (
	"math"
	"math/rand/v2"
	"testing"
)

// refModel is a deliberately plain GPT-2: the checkpoint's tensors in
// Hugging Face layout, float64 arithmetic, no KV cache, every position
// recomputed from scratch. The tests hold the real forward pass to it.
type refModel struct {
	s Shape
	t map[string][]float32
}

func newRefModel(t *testing.T, w *Weights) *refModel {
	t.Helper()
	m := &refModel{s: w.Shape, t: map[string][]float32{}}
	for _, tn := range w.Tensors() {
		m.t[tn.Name] = tn.Data
	}
	return m
}

func refLayerNorm(x []float64, g, b []float32) []float64 {
	var mean, vr float64
	for _, v := range x {
		mean += v
	}
	mean /= float64(len(x))
	for _, v := range x {
		vr += (v - mean) * (v - mean)
	}
	vr /= float64(len(x))
	out := make([]float64, len(x))
	for i, v := range x {
		out[i] = (v-mean)/math.Sqrt(vr+1e-5)*float64(g[i]) + float64(b[i])
	}
	return out
}

// refConv1D is y = x·W + b with W stored [in][out].
func refConv1D(x []float64, w, b []float32, out int) []float64 {
	y := make([]float64, out)
	for j := range y {
		y[j] = float64(b[j])
	}
	for i, xv := range x {
		row := w[i*out : (i+1)*out]
		for j := range y {
			y[j] += xv * float64(row[j])
		}
	}
	return y
}

func refGELU(x float64) float64 {
	return 0.5 * x * (1 + math.Tanh(math.Sqrt(2/math.Pi)*(x+0.044715*x*x*x)))
}

// logits returns the logits of every position of tokens.
func (m *refModel) logits(tokens []int) [][]float64 {
	s, t := m.s, m.t
	e, d := s.Embd, s.HeadDim()
	n := len(tokens)
	x := make([][]float64, n)
	for p, tok := range tokens {
		x[p] = make([]float64, e)
		for i := range e {
			x[p][i] = float64(t["wte.weight"][tok*e+i]) + float64(t["wpe.weight"][p*e+i])
		}
	}
	for l := range s.Layers {
		pre := "h." + itoa(l) + "."
		q := make([][]float64, n)
		k := make([][]float64, n)
		v := make([][]float64, n)
		for p := range n {
			h := refLayerNorm(x[p], t[pre+"ln_1.weight"], t[pre+"ln_1.bias"])
			qkv := refConv1D(h, t[pre+"attn.c_attn.weight"], t[pre+"attn.c_attn.bias"], 3*e)
			q[p], k[p], v[p] = qkv[:e], qkv[e:2*e], qkv[2*e:]
		}
		for p := range n {
			att := make([]float64, e)
			for hd := range s.Heads {
				sc := make([]float64, p+1)
				mx := math.Inf(-1)
				for u := range p + 1 {
					for i := hd * d; i < (hd+1)*d; i++ {
						sc[u] += q[p][i] * k[u][i]
					}
					sc[u] /= math.Sqrt(float64(d))
					mx = max(mx, sc[u])
				}
				var sum float64
				for u := range sc {
					sc[u] = math.Exp(sc[u] - mx)
					sum += sc[u]
				}
				for u := range sc {
					for i := hd * d; i < (hd+1)*d; i++ {
						att[i] += sc[u] / sum * v[u][i]
					}
				}
			}
			proj := refConv1D(att, t[pre+"attn.c_proj.weight"], t[pre+"attn.c_proj.bias"], e)
			for i := range e {
				x[p][i] += proj[i]
			}
			h := refLayerNorm(x[p], t[pre+"ln_2.weight"], t[pre+"ln_2.bias"])
			fc := refConv1D(h, t[pre+"mlp.c_fc.weight"], t[pre+"mlp.c_fc.bias"], 4*e)
			for i := range fc {
				fc[i] = refGELU(fc[i])
			}
			out := refConv1D(fc, t[pre+"mlp.c_proj.weight"], t[pre+"mlp.c_proj.bias"], e)
			for i := range e {
				x[p][i] += out[i]
			}
		}
	}
	logits := make([][]float64, n)
	wte := t["wte.weight"]
	for p := range n {
		h := refLayerNorm(x[p], t["ln_f.weight"], t["ln_f.bias"])
		logits[p] = make([]float64, s.Vocab)
		for tok := range s.Vocab {
			var sum float64
			for i := range e {
				sum += h[i] * float64(wte[tok*e+i])
			}
			logits[p][tok] = sum
		}
	}
	return logits
}

func itoa(i int) string {
	if i < 10 {
		return string(rune('0' + i))
	}
	return itoa(i/10) + itoa(i%10)
}

// testWeights returns tiny synthetic weights with every bias and LayerNorm
// parameter randomised too (GPT-2's init leaves them 0 and 1, which would
// hide a bias bug), and larger matrices so that attention is not uniform.
func testWeights(t *testing.T, seed uint64) *Weights {
	t.Helper()
	shape, err := ShapeByName("tiny")
	if err != nil {
		t.Fatal(err)
	}
	base, err := SyntheticWeights(shape, seed)
	if err != nil {
		t.Fatal(err)
	}
	tensors := map[string][]float32{}
	r := rand.New(rand.NewPCG(seed, 99))
	for _, tn := range base.Tensors() {
		for i := range tn.Data {
			if len(tn.Shape) == 1 {
				tn.Data[i] += float32(r.NormFloat64() * 0.1)
			} else {
				tn.Data[i] *= 5
			}
		}
		tensors[tn.Name] = tn.Data
	}
	w, err := newWeights(shape, nil)
	if err != nil {
		t.Fatal(err)
	}
	w.Source, w.SHA256 = "test", "test"
	err = buildWeights(w.specs(), func(ts *tensorSpec, dst []float32, off int) error {
		copy(dst, tensors[ts.name][off:])
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// maxDiff returns the largest |got[i] − want[i]|.
func maxDiff(got []float32, want []float64) float64 {
	var d float64
	for i, g := range got {
		d = max(d, math.Abs(float64(g)-want[i]))
	}
	return d
}
