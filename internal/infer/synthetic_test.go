package infer

import (
	"math"
	"slices"
	"testing"
)

func TestSyntheticDeterministic(t *testing.T) {
	shape, _ := ShapeByName("tiny")
	tensors := func(seed uint64) map[string][]float32 {
		w, err := SyntheticWeights(shape, seed)
		if err != nil {
			t.Fatal(err)
		}
		m := map[string][]float32{}
		for _, tn := range w.Tensors() {
			m[tn.Name] = tn.Data
		}
		return m
	}
	a, b, c := tensors(7), tensors(7), tensors(8)
	if len(a) != len(b) {
		t.Fatalf("seed 7 twice gave %d and %d tensors", len(a), len(b))
	}
	for name := range a {
		if !slices.Equal(a[name], b[name]) {
			t.Errorf("%s: seed 7 twice gave different values", name)
		}
	}
	for _, name := range []string{"wte.weight", "wpe.weight", "h.1.attn.c_attn.weight", "h.0.mlp.c_proj.weight"} {
		same := 0
		for i := range a[name] {
			if a[name][i] == c[name][i] {
				same++
			}
		}
		if same > len(a[name])/100 {
			t.Errorf("%s: seeds 7 and 8 agree on %d of %d values, want almost none", name, same, len(a[name]))
		}
	}
}

func TestSyntheticStatistics(t *testing.T) {
	shape, _ := ShapeByName("tiny")
	w, err := SyntheticWeights(shape, 1)
	if err != nil {
		t.Fatal(err)
	}
	resid := 0.02 / math.Sqrt(2*float64(shape.Layers))
	want := map[string]struct{ mean, std float64 }{
		"wte.weight":             {0, 0.02},
		"wpe.weight":             {0, 0.02},
		"h.0.attn.c_attn.weight": {0, 0.02},
		"h.1.attn.c_proj.weight": {0, resid},
		"h.0.mlp.c_fc.weight":    {0, 0.02},
		"h.1.mlp.c_proj.weight":  {0, resid},
		"h.0.ln_1.weight":        {1, 0},
		"h.1.ln_2.bias":          {0, 0},
		"h.0.attn.c_attn.bias":   {0, 0},
		"ln_f.weight":            {1, 0},
	}
	for _, tn := range w.Tensors() {
		exp, ok := want[tn.Name]
		if !ok {
			continue
		}
		var sum, ss float64
		for _, v := range tn.Data {
			sum += float64(v)
		}
		mean := sum / float64(len(tn.Data))
		for _, v := range tn.Data {
			ss += (float64(v) - mean) * (float64(v) - mean)
		}
		std := math.Sqrt(ss / float64(len(tn.Data)))
		// The sample std of n normals is within a few std/sqrt(2n).
		tol := 5*exp.std/math.Sqrt(2*float64(len(tn.Data))) + 1e-7
		if math.Abs(std-exp.std) > tol || math.Abs(mean-exp.mean) > 5*exp.std/math.Sqrt(float64(len(tn.Data)))+1e-7 {
			t.Errorf("%s: got mean %.5f std %.5f, want %g and %g", tn.Name, mean, std, exp.mean, exp.std)
		}
	}
}
