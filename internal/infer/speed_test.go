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

// countingModel counts the single tokens a model is given with logits
// asked for: decode steps, timed or not.
type countingModel struct {
	*GPT2
	steps int
}

func (c *countingModel) Forward(batch []Seq) error {
	if len(batch) == 1 && len(batch[0].Tokens) == 1 && batch[0].Logits != nil {
		c.steps++
	}
	return c.GPT2.Forward(batch)
}

func TestMeasureSpeed(t *testing.T) {
	shape, _ := ShapeByName("tiny")
	g, err := NewSynthetic(shape, 1)
	if err != nil {
		t.Fatal(err)
	}
	m := &countingModel{GPT2: g}
	const bw = 10e9
	p := new(fixedProbe)
	s, err := MeasureSpeed(m, 16, 20, p)
	if err != nil {
		t.Fatal(err)
	}
	if s.PromptTokens != 16 || s.DecodeTokens != 20 || s.PrefillTPS <= 0 || s.DecodeTPS <= 0 {
		t.Errorf("got %+v, want positive rates for 16 prompt and 20 decode tokens", s)
	}
	// Rounds of 8, 8 and 4 tokens, a pass before each and after the last,
	// and 8 untimed tokens after each pass but the last; one more
	// untimed step warms up.
	if s.Rounds != 3 || p.passes != 4 {
		t.Errorf("got %d rounds and %d probe passes, want 3 and 4", s.Rounds, p.passes)
	}
	if want := 1 + 20 + 3*SettleTokens; m.steps != want {
		t.Errorf("got %d decode steps, want %d: 20 timed, %d settling after each of 3 passes, 1 warm-up", m.steps, want, SettleTokens)
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
	m.steps = 0
	if s, err := MeasureSpeed(m, 16, 4, nil); err != nil || s.CeilingTPS != 0 || s.Fraction != 0 || s.DecodeTPS <= 0 || m.steps != 1+4 {
		t.Errorf("without a probe got %+v, %v after %d decode steps: want a decode rate, no ceiling, and no settling", s, err, m.steps)
	}
	var none *kernels.BandwidthProbe
	if s, err := MeasureSpeed(m, 16, 0, none); err != nil || s.DecodeTPS != 0 || s.CeilingTPS != 0 || s.PrefillTPS <= 0 {
		t.Errorf("no decode tokens and a nil probe: got %+v, %v; want a prefill rate and nothing else", s, err)
	}
	if _, err := MeasureSpeed(m, shape.Context+1, 1, p); err == nil || !strings.Contains(err.Error(), "exceed the context") {
		t.Errorf("got %v, want a context error", err)
	}
}
