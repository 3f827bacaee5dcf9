package load

import (
	"fmt"
	"math"
	"math/rand/v2"
	"time"
)

// A Pacer decides when the next request goes out (vegeta's interface).
// Given the time elapsed since the run began and the number of requests
// sent so far, it returns how long to wait before sending the next one,
// or stop when no more should be sent.
type Pacer interface {
	Pace(elapsed time.Duration, hits uint64) (wait time.Duration, stop bool)
}

// A Schedule is a Pacer that knows when each request is due, so that a
// request sent late is measured from when it should have been sent.
type Schedule interface {
	Pacer
	// Due is when request hit (0-based) is due, from the run's start;
	// false when it never is.
	Due(hit uint64) (time.Duration, bool)
	// Rate is the offered rate at elapsed, in requests per second.
	Rate(elapsed time.Duration) float64
}

// Arrivals says how requests are spread over a rate shape.
type Arrivals struct {
	// Kind is "constant" (evenly spaced), "poisson" (exponential gaps) or
	// "gamma" (gamma-distributed gaps of the given burstiness).
	Kind string
	// Burstiness is the gamma shape: 1 is Poisson, below 1 burstier,
	// above 1 more regular (vLLM's --burstiness).
	Burstiness float64
	// Seed seeds the gaps; the same seed gives the same schedule.
	Seed uint64
}

func (a Arrivals) String() string {
	switch a.Kind {
	case "poisson":
		return fmt.Sprintf("poisson (seed %d)", a.Seed)
	case "gamma":
		return fmt.Sprintf("gamma, burstiness %g (seed %d)", a.Burstiness, a.Seed)
	}
	return "constant"
}

// ShapedPacer sends requests over a Shape with the given Arrivals: the
// n-th request is due when the shape's expected hit count reaches the
// n-th arrival of a unit-rate process (a time change, so Poisson arrivals
// on a ramp stay Poisson). It is not safe for concurrent use; Run calls
// it from one goroutine with non-decreasing hits.
type ShapedPacer struct {
	shape Shape
	arr   Arrivals

	rng  *rand.Rand
	next uint64  // the index of the arrival in u
	u    float64 // unit-rate arrival time of request next-1
}

var _ Schedule = (*ShapedPacer)(nil)

// NewPacer returns a pacer over shape with the given arrivals.
func NewPacer(shape Shape, arr Arrivals) (*ShapedPacer, error) {
	switch arr.Kind {
	case "", "constant", "poisson":
	case "gamma":
		if !(arr.Burstiness > 0) || math.IsInf(arr.Burstiness, 0) {
			return nil, fmt.Errorf("load: gamma burstiness must be > 0, got %g", arr.Burstiness)
		}
	default:
		return nil, fmt.Errorf("load: arrivals %q: want constant, poisson or gamma", arr.Kind)
	}
	if arr.Kind == "" {
		arr.Kind = "constant"
	}
	p := &ShapedPacer{shape: shape, arr: arr}
	p.reset()
	return p, nil
}

// Constant sends rate requests per second, evenly spaced.
func Constant(rate float64) *ShapedPacer {
	p, _ := NewPacer(Flat(rate), Arrivals{Kind: "constant"})
	return p
}

// Poisson sends rate requests per second on average with exponential
// gaps drawn from seed.
func Poisson(rate float64, seed uint64) *ShapedPacer {
	p, _ := NewPacer(Flat(rate), Arrivals{Kind: "poisson", Seed: seed})
	return p
}

func (p *ShapedPacer) reset() {
	p.rng = rand.New(rand.NewPCG(p.arr.Seed, 0x6d75616962656e63))
	p.next, p.u = 0, 0
}

// gap draws the next unit-mean gap.
func (p *ShapedPacer) gap() float64 {
	switch p.arr.Kind {
	case "poisson":
		return p.rng.ExpFloat64()
	case "gamma":
		k := p.arr.Burstiness
		return gammaVariate(p.rng, k) / k
	}
	return 1
}

// arrival returns the unit-rate arrival time of request n. Constant
// arrivals start at 0; random ones after a first gap.
func (p *ShapedPacer) arrival(n uint64) float64 {
	if p.arr.Kind == "constant" {
		return float64(n)
	}
	if n+1 < p.next {
		p.reset() // a step back: replay the same seeded gaps
	}
	for p.next <= n {
		p.u += p.gap()
		p.next++
	}
	return p.u
}

// Due implements Schedule.
func (p *ShapedPacer) Due(hit uint64) (time.Duration, bool) {
	return p.shape.Time(p.arrival(hit))
}

// Pace implements Pacer.
func (p *ShapedPacer) Pace(elapsed time.Duration, hits uint64) (time.Duration, bool) {
	due, ok := p.Due(hits)
	if !ok {
		return 0, true
	}
	if due <= elapsed {
		return 0, false
	}
	return due - elapsed, false
}

// Rate implements Schedule.
func (p *ShapedPacer) Rate(elapsed time.Duration) float64 { return p.shape.Rate(elapsed) }

// Shape returns the pacer's rate shape.
func (p *ShapedPacer) Shape() Shape { return p.shape }

func (p *ShapedPacer) String() string { return p.shape.String() + ", " + p.arr.String() + " arrivals" }

// gammaVariate draws Gamma(k, 1) (Marsaglia and Tsang; k < 1 by
// boosting, Gamma(k) = Gamma(k+1)·U^(1/k)).
func gammaVariate(r *rand.Rand, k float64) float64 {
	if k < 1 {
		u := r.Float64()
		for u == 0 {
			u = r.Float64()
		}
		return gammaVariate(r, k+1) * math.Pow(u, 1/k)
	}
	d := k - 1.0/3
	c := 1 / math.Sqrt(9*d)
	for {
		x := r.NormFloat64()
		v := 1 + c*x
		if v <= 0 {
			continue
		}
		v = v * v * v
		u := r.Float64()
		if u < 1-0.0331*x*x*x*x || math.Log(u) < 0.5*x*x+d*(1-v+math.Log(v)) {
			return d * v
		}
	}
}
