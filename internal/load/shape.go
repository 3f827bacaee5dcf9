package load

import (
	"fmt"
	"math"
	"time"
)

// A Shape is a request rate that changes with time: the offered load of
// a profile, before arrivals are drawn from it.
type Shape interface {
	// Rate is the rate in requests per second at t.
	Rate(t time.Duration) float64
	// Hits is the expected number of requests in [0, t): the integral of
	// Rate. It never decreases.
	Hits(t time.Duration) float64
	// Time is the earliest t at which Hits(t) reaches hits; false when it
	// never does (the rate stays at zero).
	Time(hits float64) (time.Duration, bool)
	// String describes the shape for results.
	String() string
}

// Segment is a stretch of a piecewise-linear shape: the rate goes
// linearly from From to To requests/s over Dur.
type Segment struct {
	Dur      time.Duration
	From, To float64
}

// Piecewise is a piecewise-linear shape; after its last segment the rate
// stays at that segment's To.
type Piecewise struct {
	Segments []Segment
	Name     string
}

var _ Shape = (*Piecewise)(nil)

// Flat is a constant rate in requests per second.
func Flat(rate float64) *Piecewise {
	return &Piecewise{Segments: []Segment{{Dur: 0, From: rate, To: rate}}, Name: fmt.Sprintf("flat %.4g/s", rate)}
}

// Ramp goes linearly from from×capacity to to×capacity over d, then
// holds.
func Ramp(capacity, from, to float64, d time.Duration) *Piecewise {
	return &Piecewise{
		Segments: []Segment{{Dur: d, From: from * capacity, To: to * capacity}},
		Name:     fmt.Sprintf("ramp %.0f%%→%.0f%% of %.4g/s over %s", 100*from, 100*to, capacity, d),
	}
}

// Steps holds each fraction of capacity for each, in turn, then holds the
// last.
func Steps(capacity float64, fractions []float64, each time.Duration) *Piecewise {
	p := &Piecewise{Name: fmt.Sprintf("steps %v of %.4g/s, %s each", fractions, capacity, each)}
	for _, f := range fractions {
		p.Segments = append(p.Segments, Segment{Dur: each, From: f * capacity, To: f * capacity})
	}
	return p
}

// Spike holds base×capacity, jumps to peak×capacity at at for width, then
// goes back to base.
func Spike(capacity, base, peak float64, at, width time.Duration) *Piecewise {
	b, k := base*capacity, peak*capacity
	return &Piecewise{
		Segments: []Segment{{Dur: at, From: b, To: b}, {Dur: width, From: k, To: k}, {Dur: 0, From: b, To: b}},
		Name:     fmt.Sprintf("spike %.0f%%→%.0f%% of %.4g/s at %s for %s", 100*base, 100*peak, capacity, at, width),
	}
}

// Rate implements Shape.
func (p *Piecewise) Rate(t time.Duration) float64 {
	var at time.Duration
	for i, s := range p.Segments {
		if t < at+s.Dur || i == len(p.Segments)-1 {
			if s.Dur <= 0 || t >= at+s.Dur {
				return s.To
			}
			return s.From + (s.To-s.From)*float64(t-at)/float64(s.Dur)
		}
		at += s.Dur
	}
	return 0
}

// Hits implements Shape.
func (p *Piecewise) Hits(t time.Duration) float64 {
	var at time.Duration
	var n float64
	for i, s := range p.Segments {
		last := i == len(p.Segments)-1
		if !last && t >= at+s.Dur {
			n += (s.From + s.To) / 2 * s.Dur.Seconds()
			at += s.Dur
			continue
		}
		x := (t - at).Seconds()
		if s.Dur > 0 && x <= s.Dur.Seconds() {
			return n + s.From*x + (s.To-s.From)*x*x/(2*s.Dur.Seconds())
		}
		if s.Dur > 0 {
			n += (s.From + s.To) / 2 * s.Dur.Seconds()
			x -= s.Dur.Seconds()
		}
		return n + s.To*x
	}
	return n
}

// Time implements Shape, solving each segment's quadratic exactly.
func (p *Piecewise) Time(hits float64) (time.Duration, bool) {
	var at time.Duration
	n := 0.0
	for i, s := range p.Segments {
		if s.Dur > 0 {
			d := s.Dur.Seconds()
			area := (s.From + s.To) / 2 * d
			if n+area >= hits {
				return at + seconds(solveLinearRamp(s.From, s.To, d, hits-n)), true
			}
			n += area
			at += s.Dur
		}
		if i == len(p.Segments)-1 {
			if s.To <= 0 {
				return 0, false
			}
			return at + seconds((hits-n)/s.To), true
		}
	}
	return 0, false
}

// solveLinearRamp finds x in [0, d] with a·x + (b−a)·x²/(2d) = h.
func solveLinearRamp(a, b, d, h float64) float64 {
	if h <= 0 {
		return 0
	}
	k := (b - a) / d // slope
	if math.Abs(k) < 1e-12 {
		return h / a
	}
	// k/2·x² + a·x − h = 0, the root in [0, d].
	disc := a*a + 2*k*h
	if disc < 0 {
		disc = 0
	}
	// The numerically stable form of (−a + √disc)/k.
	x := 2 * h / (a + math.Sqrt(disc))
	return math.Min(math.Max(x, 0), d)
}

func (p *Piecewise) String() string { return p.Name }

// SineShape varies the rate as Mean + Amp·sin(2πt/Period), requests/s.
type SineShape struct {
	Mean, Amp float64
	Period    time.Duration
}

var _ Shape = SineShape{}

// Sine varies the rate around mean×capacity by ±amp×capacity with the
// given period: the plan's variable load. amp must not exceed mean.
func Sine(capacity, mean, amp float64, period time.Duration) SineShape {
	return SineShape{Mean: mean * capacity, Amp: math.Min(amp, mean) * capacity, Period: period}
}

// Rate implements Shape.
func (s SineShape) Rate(t time.Duration) float64 {
	return s.Mean + s.Amp*math.Sin(2*math.Pi*t.Seconds()/s.Period.Seconds())
}

// Hits implements Shape.
func (s SineShape) Hits(t time.Duration) float64 {
	w := 2 * math.Pi / s.Period.Seconds()
	return s.Mean*t.Seconds() + s.Amp/w*(1-math.Cos(w*t.Seconds()))
}

// Time implements Shape by bisection (Hits has no closed inverse).
func (s SineShape) Time(hits float64) (time.Duration, bool) {
	if s.Mean <= 0 {
		return 0, hits <= 0
	}
	return invert(s.Hits, hits), true
}

func (s SineShape) String() string {
	return fmt.Sprintf("sine %.4g±%.4g/s, period %s", s.Mean, s.Amp, s.Period)
}

// invert finds the earliest t with hits(t) >= h for a non-decreasing,
// unbounded hits, to the nanosecond.
func invert(hits func(time.Duration) float64, h float64) time.Duration {
	lo, hi := time.Duration(0), time.Second
	for hits(hi) < h {
		lo, hi = hi, 2*hi
	}
	for hi-lo > 1 {
		mid := lo + (hi-lo)/2
		if hits(mid) >= h {
			hi = mid
		} else {
			lo = mid
		}
	}
	return hi
}

func seconds(x float64) time.Duration { return time.Duration(math.Round(x * float64(time.Second))) }
