package infer

import (
	"math"
	"strings"
	"testing"
)

func TestMeasureSpeed(t *testing.T) {
	shape, _ := ShapeByName("tiny")
	m, err := NewSynthetic(shape, 1)
	if err != nil {
		t.Fatal(err)
	}
	const bw = 10e9
	s, err := MeasureSpeed(m, 16, 8, bw)
	if err != nil {
		t.Fatal(err)
	}
	if s.PromptTokens != 16 || s.DecodeTokens != 8 || s.PrefillTPS <= 0 || s.DecodeTPS <= 0 {
		t.Errorf("got %+v, want positive rates for 16 prompt and 8 decode tokens", s)
	}
	info := m.Info()
	wpe := int64(shape.Context*shape.Embd) * 4
	if want := bw / float64(info.WeightBytes-wpe); math.Abs(s.CeilingTPS-want) > 1e-6*want {
		t.Errorf("got ceiling %g, want bandwidth / (weights - wpe) = %g", s.CeilingTPS, want)
	}
	if math.Abs(s.Fraction-s.DecodeTPS/s.CeilingTPS) > 1e-12 {
		t.Errorf("got fraction %g, want decode / ceiling", s.Fraction)
	}
	if _, err := MeasureSpeed(m, shape.Context, 1, bw); err == nil || !strings.Contains(err.Error(), "exceed the context") {
		t.Errorf("got %v, want a context error", err)
	}
}
