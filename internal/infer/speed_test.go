package infer

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/muaibench/muaibench/internal/infer/kernels"
)

// fixedProbe reads 10 GB/s on every pass and counts them.
type fixedProbe struct{ passes int }

func (p *fixedProbe) Pass() time.Duration { p.passes++; return 100 * time.Millisecond }
func (p *fixedProbe) Bytes() int64        { return 1e9 }

func TestMeasureSpeed(t *testing.T) {
	shape, _ := ShapeByName("tiny")
	m, err := NewSynthetic(shape, 1)
	if err != nil {
		t.Fatal(err)
	}
	const bw = 10e9
	p := new(fixedProbe)
	s, err := MeasureSpeed(m, 16, 20, p)
	if err != nil {
		t.Fatal(err)
	}
	if s.PromptTokens != 16 || s.DecodeTokens != 20 || s.PrefillTPS <= 0 || s.DecodeTPS <= 0 {
		t.Errorf("got %+v, want positive rates for 16 prompt and 20 decode tokens", s)
	}
	// Rounds of 8, 8 and 4 tokens, a pass before each and after the last.
	if s.Rounds != 3 || p.passes != 4 {
		t.Errorf("got %d rounds and %d probe passes, want 3 and 4", s.Rounds, p.passes)
	}
	info := m.Info()
	wpe := int64(shape.Context*shape.Embd) * 4
	if want := bw / float64(info.WeightBytes-wpe); math.Abs(s.CeilingTPS-want) > 1e-6*want {
		t.Errorf("got ceiling %g, want bandwidth / (weights - wpe) = %g", s.CeilingTPS, want)
	}
	// Under a constant ceiling the whole decode's fraction lies between
	// its slowest and its fastest round's, and so does the median.
	whole := s.DecodeTPS / s.CeilingTPS
	if !(s.FractionMin <= s.Fraction && s.Fraction <= s.FractionMax) ||
		whole < s.FractionMin*(1-1e-9) || whole > s.FractionMax*(1+1e-9) {
		t.Errorf("got fraction %g in [%g, %g], whole decode %g: want all within the rounds' range",
			s.Fraction, s.FractionMin, s.FractionMax, whole)
	}
	if s, err := MeasureSpeed(m, 16, 4, nil); err != nil || s.CeilingTPS != 0 || s.Fraction != 0 || s.DecodeTPS <= 0 {
		t.Errorf("without a probe got %+v, %v: want a decode rate and no ceiling", s, err)
	}
	var none *kernels.BandwidthProbe
	if s, err := MeasureSpeed(m, 16, 0, none); err != nil || s.DecodeTPS != 0 || s.CeilingTPS != 0 || s.PrefillTPS <= 0 {
		t.Errorf("no decode tokens and a nil probe: got %+v, %v; want a prefill rate and nothing else", s, err)
	}
	if _, err := MeasureSpeed(m, shape.Context+1, 1, p); err == nil || !strings.Contains(err.Error(), "exceed the context") {
		t.Errorf("got %v, want a context error", err)
	}
}
