package monitor

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestStudentTQuantile(t *testing.T) {
	// Values from standard t tables.
	tests := []struct{ p, df, want float64 }{
		{0.975, 1, 12.7062},
		{0.975, 2, 4.3027},
		{0.975, 10, 2.2281},
		{0.975, 30, 2.0423},
		{0.975, 98, 1.9845},
		{0.95, 5, 2.0150},
		{0.995, 20, 2.8453},
		{0.025, 10, -2.2281},
		{0.5, 7, 0},
	}
	for _, tt := range tests {
		if got := StudentTQuantile(tt.p, tt.df); math.Abs(got-tt.want) > 5e-4 {
			t.Errorf("StudentTQuantile(%g, %g): got %.5f, want %.4f", tt.p, tt.df, got, tt.want)
		}
	}
}

func TestFitTrendExactLine(t *testing.T) {
	var pts []Point
	for i := range 10 {
		pts = append(pts, Point{T: float64(i), V: 5 + 2*float64(i)})
	}
	tr, err := FitTrend(pts, 0.95)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(tr.Slope-2) > 1e-12 || math.Abs(tr.Intercept-5) > 1e-12 || tr.StdErr > 1e-9 || tr.R2 != 1 {
		t.Errorf("got %+v, want slope 2, intercept 5, no error", tr)
	}
}

// The interval is a 95% interval: over many noisy series with a known
// slope it covers the truth about 95% of the time.
func TestFitTrendCoverage(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	const trials, n, slope = 2000, 30, 0.5
	covered := 0
	for range trials {
		pts := make([]Point, n)
		for i := range pts {
			pts[i] = Point{T: float64(i), V: 100 + slope*float64(i) + 3*rng.NormFloat64()}
		}
		tr, err := FitTrend(pts, 0.95)
		if err != nil {
			t.Fatal(err)
		}
		if tr.Low <= slope && slope <= tr.High {
			covered++
		}
	}
	if got := float64(covered) / trials; math.Abs(got-0.95) > 0.015 {
		t.Errorf("got coverage %.3f, want 0.95 ± 0.015", got)
	}
}

// The slope's standard error against a hand computation: points
// (0,1) (1,3) (2,2) (3,5): slope 1.1, residuals -0.1 0.8 -1.3 0.6, SSE 2.7,
// se = sqrt(2.7/2/5).
func TestFitTrendStdErr(t *testing.T) {
	tr, err := FitTrend([]Point{{0, 1}, {1, 3}, {2, 2}, {3, 5}}, 0.95)
	if err != nil {
		t.Fatal(err)
	}
	wantSE := math.Sqrt(2.7 / 2 / 5)
	if math.Abs(tr.Slope-1.1) > 1e-12 || math.Abs(tr.StdErr-wantSE) > 1e-12 {
		t.Errorf("got slope %g se %g, want 1.1 %g", tr.Slope, tr.StdErr, wantSE)
	}
	if q := 4.3027; math.Abs(tr.High-(1.1+q*wantSE)) > 1e-3 {
		t.Errorf("got high %g, want %g", tr.High, 1.1+q*wantSE)
	}
}

func TestFitTrendErrors(t *testing.T) {
	for _, pts := range [][]Point{nil, {{0, 1}, {1, 2}}, {{1, 1}, {1, 2}, {1, 3}}} {
		if _, err := FitTrend(pts, 0.95); err == nil {
			t.Errorf("FitTrend(%v): got no error", pts)
		}
	}
}
