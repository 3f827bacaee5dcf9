package infer

import (
	"context"
	"math"
	"testing"

	"github.com/muaibench/muaibench/internal/infer/kernels"
)

// TestQuantizedLogits checks each format's logits on the tiny shape
// against FP32's from the same synthetic weights, within a bound per
// format, through Evaluate: the mean KL divergence, top-1 agreement and
// the largest logit difference over a prefill and decode.
func TestQuantizedLogits(t *testing.T) {
	shape, err := ShapeByName("tiny")
	if err != nil {
		t.Fatal(err)
	}
	ref, err := NewSynthetic(shape, 3)
	if err != nil {
		t.Fatal(err)
	}
	tokens := testTokens(40, 5)
	refLogits := run(t, ref, ref.NewKVPool(1<<20, 16), tokens, []int{30, 1})
	tests := []struct {
		f        kernels.Format
		maxDiff  float64 // largest |logit − FP32 logit|, relative to FP32's largest |logit|
		maxKL    float64
		minAgree float64
	}{
		{kernels.FP32, 0, 0, 1},
		{kernels.FP16, 2e-3, 1e-6, 0.95},
		{kernels.INT8, 2e-2, 1e-5, 0.9},
		{kernels.INT4, 0.15, 1e-3, 0.8},
	}
	for _, tc := range tests {
		t.Run(tc.f.String(), func(t *testing.T) {
			g, err := NewSynthetic(shape, 3, WithFormat(tc.f))
			if err != nil {
				t.Fatal(err)
			}
			if info := g.Info(); info.Quantization != tc.f.String() {
				t.Errorf("Info().Quantization = %q, want %q", info.Quantization, tc.f)
			}
			got := run(t, g, g.NewKVPool(1<<20, 16), tokens, []int{30, 1})
			var worst, scale float64
			for i := range got {
				for j, v := range got[i] {
					worst = max(worst, math.Abs(float64(v-refLogits[i][j])))
					scale = max(scale, math.Abs(float64(refLogits[i][j])))
				}
			}
			if worst > tc.maxDiff*scale {
				t.Errorf("largest logit difference from fp32 = %g, want <= %g", worst, tc.maxDiff*scale)
			}
			res, err := Evaluate(context.Background(), g, ref, tokens, EvalOptions{Window: 16, Stride: 8})
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%s: max|Δlogit| %.3g of %.3g, ppl %.2f (fp32 %.2f), KL %.3g, top-1 %.3f", tc.f, worst, scale,
				res.Perplexity, res.RefPerplexity, res.MeanKL, res.Top1Agreement)
			if res.Tokens != len(tokens)-1 || !res.Synthetic {
				t.Errorf("Evaluate scored %d tokens (synthetic %v), want %d (true)", res.Tokens, res.Synthetic, len(tokens)-1)
			}
			if res.MeanKL > tc.maxKL || res.MeanKL < 0 && tc.f != kernels.FP32 || res.Top1Agreement < tc.minAgree {
				t.Errorf("mean KL %g, top-1 agreement %g, want <= %g and >= %g", res.MeanKL, res.Top1Agreement, tc.maxKL, tc.minAgree)
			}
		})
	}
}

// TestQuantizedBytes checks that the weights shrink as the format says.
func TestQuantizedBytes(t *testing.T) {
	shape, err := ShapeByName("tiny")
	if err != nil {
		t.Fatal(err)
	}
	fp32, err := SyntheticWeights(shape, 1)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		f        kernels.Format
		min, max float64 // of the FP32 bytes
	}{
		{kernels.FP16, 0.49, 0.52},
		{kernels.INT8, 0.27, 0.32},
		{kernels.INT4, 0.2, 0.3},
	} {
		w, err := SyntheticWeights(shape, 1, WithFormat(tc.f))
		if err != nil {
			t.Fatal(err)
		}
		r := float64(w.Bytes()) / float64(fp32.Bytes())
		if r < tc.min || r > tc.max {
			t.Errorf("%s: Bytes() = %.3f of fp32, want in [%g, %g]", tc.f, r, tc.min, tc.max)
		}
	}
}
