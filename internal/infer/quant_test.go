package infer

import (
	"context"
	"fmt"
	"math"
	"strings"
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
		f, kv    kernels.Format
		maxDiff  float64 // largest |logit − FP32 logit|, relative to FP32's largest |logit|
		maxKL    float64
		minAgree float64
	}{
		{kernels.FP32, kernels.FP32, 0, 0, 1},
		{kernels.FP16, kernels.FP32, 2e-3, 1e-6, 0.95},
		{kernels.INT8, kernels.FP32, 2e-2, 1e-5, 0.9},
		{kernels.INT4, kernels.FP32, 0.15, 1e-3, 0.8},
		// The KV cache in FP16, alone and under INT8 weights: rounding
		// keys and values costs about what rounding the weights does.
		{kernels.FP32, kernels.FP16, 2e-4, 1e-8, 0.99},
		{kernels.INT8, kernels.FP16, 2e-2, 1e-5, 0.9},
	}
	for _, tc := range tests {
		t.Run(tc.f.String()+"/kv-"+tc.kv.String(), func(t *testing.T) {
			g, err := NewSynthetic(shape, 3, WithFormat(tc.f), WithKVCache(tc.kv))
			if err != nil {
				t.Fatal(err)
			}
			if info := g.Info(); info.Quantization != tc.f.String() || info.KVCache != tc.kv.String() {
				t.Errorf("Info() = quantization %q, KV cache %q, want %q, %q", info.Quantization, info.KVCache, tc.f, tc.kv)
			}
			got := run(t, g, g.NewKVPool(1<<20, 16), tokens, []int{30, 1})
			var worst, scale float64
			for i := range got {
				for j, v := range got[i] {
					worst = max(worst, math.Abs(float64(v-refLogits[i][j])))
					scale = max(scale, math.Abs(float64(refLogits[i][j])))
				}
			}
			if tc.kv != kernels.FP32 && worst == 0 {
				t.Errorf("logits equal fp32's bitwise: the KV cache was not rounded")
			}
			if worst > tc.maxDiff*scale {
				t.Errorf("largest logit difference from fp32 = %g, want <= %g", worst, tc.maxDiff*scale)
			}
			res, err := Evaluate(context.Background(), g, ref, tokens, EvalOptions{Window: 16, Stride: 8})
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%s, KV %s: max|Δlogit| %.3g of %.3g, ppl %.2f (fp32 %.2f), KL %.3g, top-1 %.3f", tc.f, tc.kv, worst, scale,
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

// TestKVCacheFormat checks that an FP16 KV pool takes half the bytes per
// block, so twice the blocks fit in a capacity, that its keys and values
// do not overlap, and that formats other than FP32 and FP16 are refused.
func TestKVCacheFormat(t *testing.T) {
	shape, err := ShapeByName("tiny")
	if err != nil {
		t.Fatal(err)
	}
	p32 := NewKVPoolFormat(kernels.FP32, shape.Layers, shape.Embd, 16, 1<<20)
	p16 := NewKVPoolFormat(kernels.FP16, shape.Layers, shape.Embd, 16, 1<<20)
	if want := int64(shape.Layers * 2 * 16 * shape.Embd * 2); p16.BlockBytes() != want || p32.BlockBytes() != 2*want {
		t.Errorf("block bytes fp16 %d, fp32 %d, want %d and %d", p16.BlockBytes(), p32.BlockBytes(), want, 2*want)
	}
	if p16.TotalBlocks() != 2*p32.TotalBlocks() || p16.CapacityBytes() != p32.CapacityBytes() {
		t.Errorf("blocks fp16 %d, fp32 %d in %d and %d bytes, want twice as many in as many bytes",
			p16.TotalBlocks(), p32.TotalBlocks(), p16.CapacityBytes(), p32.CapacityBytes())
	}
	seen := map[*uint16]string{}
	for b := range p16.TotalBlocks() {
		for l := range shape.Layers {
			for kv, s := range [][]uint16{p16.KHalf(b, l), p16.VHalf(b, l)} {
				if len(s) != 16*shape.Embd {
					t.Fatalf("block %d layer %d: %d halves, want %d", b, l, len(s), 16*shape.Embd)
				}
				name := fmt.Sprintf("block %d layer %d kv %d", b, l, kv)
				for _, p := range []*uint16{&s[0], &s[len(s)-1]} {
					if other, ok := seen[p]; ok {
						t.Fatalf("%s overlaps %s", name, other)
					}
					seen[p] = name
				}
			}
		}
	}
	for _, f := range []kernels.Format{kernels.INT8, kernels.INT4} {
		if _, err := NewSynthetic(shape, 1, WithKVCache(f)); err == nil || !strings.Contains(err.Error(), "KV cache format "+f.String()) {
			t.Errorf("WithKVCache(%s): error %v, want one naming the format", f, err)
		}
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
		{kernels.INT8, 0.26, 0.3},
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
