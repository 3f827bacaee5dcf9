package load

import (
	"math"
	"slices"
	"testing"
	"time"
)

func TestConstantPacerDueAndPace(t *testing.T) {
	t.Parallel()
	p := Constant(200) // one every 5 ms, the first at 0
	for _, tt := range []struct {
		hit  uint64
		want time.Duration
	}{{0, 0}, {1, 5 * time.Millisecond}, {200, time.Second}, {7, 35 * time.Millisecond}} {
		if got, ok := p.Due(tt.hit); !ok || got != tt.want {
			t.Errorf("Due(%d): got %s %v, want %s", tt.hit, got, ok, tt.want)
		}
	}
	if wait, stop := p.Pace(2*time.Millisecond, 1); stop || wait != 3*time.Millisecond {
		t.Errorf("Pace(2ms, 1): got %s %v, want 3ms false", wait, stop)
	}
	if wait, stop := p.Pace(50*time.Millisecond, 1); stop || wait != 0 {
		t.Errorf("Pace behind schedule: got %s %v, want 0 false", wait, stop)
	}
	if _, stop := Constant(0).Pace(0, 0); !stop {
		t.Error("a zero rate does not stop")
	}
}

// gaps returns the first n gaps of p's schedule, in seconds.
func gaps(p *ShapedPacer, n int) []float64 {
	out := make([]float64, n)
	prev, _ := p.Due(0)
	for i := range n {
		d, _ := p.Due(uint64(i + 1))
		out[i] = (d - prev).Seconds()
		prev = d
	}
	return out
}

// TestPoissonGapsAreExponential is a Kolmogorov–Smirnov test of the
// gaps against the exponential distribution of the rate, with a fixed
// seed, at the 1% level (critical value 1.628/√n).
func TestPoissonGapsAreExponential(t *testing.T) {
	t.Parallel()
	const rate, n = 100.0, 4000
	g := gaps(Poisson(rate, 1), n)
	slices.Sort(g)
	d := 0.0
	for i, x := range g {
		cdf := 1 - math.Exp(-rate*x)
		d = max(d, math.Abs(cdf-float64(i)/n), math.Abs(cdf-float64(i+1)/n))
	}
	if crit := 1.628 / math.Sqrt(n); d > crit {
		t.Errorf("KS statistic %.4f exceeds the 1%% critical value %.4f", d, crit)
	}
	// Against a wrong rate the same test must fail, or it proves nothing.
	dWrong := 0.0
	for i, x := range g {
		cdf := 1 - math.Exp(-1.2*rate*x)
		dWrong = max(dWrong, math.Abs(cdf-float64(i)/n))
	}
	if dWrong <= 1.628/math.Sqrt(n) {
		t.Errorf("KS statistic %.4f against a 20%% wrong rate passes; the test has no power", dWrong)
	}
}

func TestPoissonIsSeeded(t *testing.T) {
	t.Parallel()
	a, b, c := gaps(Poisson(10, 7), 50), gaps(Poisson(10, 7), 50), gaps(Poisson(10, 8), 50)
	if !slices.Equal(a, b) || slices.Equal(a, c) {
		t.Error("got different schedules from one seed, or equal ones from two")
	}
	p := Poisson(10, 7)
	late, _ := p.Due(30)
	early, _ := p.Due(3) // a step back replays the same gaps
	again, _ := p.Due(30)
	if want, _ := Poisson(10, 7).Due(3); early != want || late != again {
		t.Errorf("got Due(3) %s after Due(30), want %s; Due(30) %s then %s", early, want, late, again)
	}
}

func TestGammaBurstiness(t *testing.T) {
	t.Parallel()
	for _, k := range []float64{0.25, 0.5, 1, 4} {
		p, err := NewPacer(Flat(50), Arrivals{Kind: "gamma", Burstiness: k, Seed: 3})
		if err != nil {
			t.Fatal(err)
		}
		g := gaps(p, 20000)
		var sum, sq float64
		for _, x := range g {
			sum += x
		}
		mean := sum / float64(len(g))
		for _, x := range g {
			sq += (x - mean) * (x - mean)
		}
		cv := math.Sqrt(sq/float64(len(g)-1)) / mean
		if math.Abs(mean-1.0/50)/(1.0/50) > 0.05 || math.Abs(cv-1/math.Sqrt(k))/(1/math.Sqrt(k)) > 0.08 {
			t.Errorf("burstiness %g: got mean gap %.5f s, CV %.3f; want 0.02 s, %.3f", k, mean, cv, 1/math.Sqrt(k))
		}
	}
	if _, err := NewPacer(Flat(1), Arrivals{Kind: "gamma"}); err == nil {
		t.Error("gamma without burstiness: got no error")
	}
}

func TestShapesInvert(t *testing.T) {
	t.Parallel()
	shapes := []Shape{
		Flat(40),
		Ramp(100, 0.1, 1.5, 2*time.Second),
		Ramp(100, 0, 1, time.Second),
		Steps(100, []float64{0.5, 0, 2}, time.Second),
		Spike(100, 0.5, 2, time.Second, 500*time.Millisecond),
		Sine(100, 0.6, 0.4, 3*time.Second),
	}
	for _, s := range shapes {
		t.Run(s.String(), func(t *testing.T) {
			prev := time.Duration(-1)
			for _, h := range []float64{0, 0.5, 1, 10, 49.5, 50, 51, 120, 150.25, 400, 1000} {
				at, ok := s.Time(h)
				if !ok {
					t.Fatalf("Time(%g): never", h)
				}
				if got := s.Hits(at); math.Abs(got-h) > 1e-3 {
					t.Errorf("Hits(Time(%g) = %s) = %g", h, at, got)
				}
				if at < prev {
					t.Errorf("Time(%g) = %s went back from %s", h, at, prev)
				}
				prev = at
			}
		})
	}
	spike := Spike(100, 0.5, 2, time.Second, 500*time.Millisecond)
	for at, want := range map[time.Duration]float64{0: 50, 999 * time.Millisecond: 50, time.Second: 200, 1400 * time.Millisecond: 200, 1500 * time.Millisecond: 50, time.Hour: 50} {
		if got := spike.Rate(at); got != want {
			t.Errorf("spike rate at %s: got %g, want %g", at, got, want)
		}
	}
	if got := Ramp(100, 0, 1, time.Second).Rate(250 * time.Millisecond); math.Abs(got-25) > 1e-9 {
		t.Errorf("ramp rate at 250ms: got %g, want 25", got)
	}
}

// TestRampCountsMatchIntegral checks a profile pacer sends the shape's
// integral: a ramp 0→100/s over 2 s sends 100 requests.
func TestRampCountsMatchIntegral(t *testing.T) {
	t.Parallel()
	p, _ := NewPacer(Ramp(100, 0, 1, 2*time.Second), Arrivals{})
	n := 0
	for hit := uint64(0); ; hit++ {
		d, _ := p.Due(hit)
		if d >= 2*time.Second {
			break
		}
		n++
	}
	if n != 100 {
		t.Errorf("got %d requests in the ramp, want 100", n)
	}
}
