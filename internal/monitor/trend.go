package monitor

import (
	"fmt"
	"math"
)

// Trend is a least-squares line through a series: V ≈ Intercept + Slope·T,
// with the slope's confidence interval from Student's t distribution on
// N−2 degrees of freedom.
type Trend struct {
	N         int     `json:"n"`
	Slope     float64 `json:"slope"` // value units per second
	Intercept float64 `json:"intercept"`
	// StdErr is the slope's standard error.
	StdErr float64 `json:"stderr"`
	// Level is the confidence level of [Low, High], e.g. 0.95.
	Level float64 `json:"level"`
	Low   float64 `json:"low"`
	High  float64 `json:"high"`
	// R2 is the coefficient of determination.
	R2 float64 `json:"r2"`
}

// FitTrend fits the line to points at the confidence level (0.95 when 0).
// It needs three points at two or more distinct times.
func FitTrend(points []Point, level float64) (Trend, error) {
	if level <= 0 || level >= 1 {
		level = 0.95
	}
	n := len(points)
	if n < 3 {
		return Trend{}, fmt.Errorf("monitor: trend: %d points, need at least 3", n)
	}
	var mt, mv float64
	for _, p := range points {
		mt += p.T
		mv += p.V
	}
	mt /= float64(n)
	mv /= float64(n)
	var stt, stv, svv float64
	for _, p := range points {
		dt, dv := p.T-mt, p.V-mv
		stt += dt * dt
		stv += dt * dv
		svv += dv * dv
	}
	if stt == 0 {
		return Trend{}, fmt.Errorf("monitor: trend: all %d points at the same time", n)
	}
	slope := stv / stt
	icept := mv - slope*mt
	var sse float64
	for _, p := range points {
		r := p.V - (icept + slope*p.T)
		sse += r * r
	}
	df := float64(n - 2)
	se := math.Sqrt(sse / df / stt)
	q := StudentTQuantile(1-(1-level)/2, df)
	r2 := 1.0
	if svv > 0 {
		r2 = 1 - sse/svv
	}
	return Trend{
		N: n, Slope: slope, Intercept: icept, StdErr: se, Level: level,
		Low: slope - q*se, High: slope + q*se, R2: r2,
	}, nil
}

// StudentTQuantile returns the p-quantile (0 < p < 1) of Student's t
// distribution with df degrees of freedom, by bisection on its CDF.
func StudentTQuantile(p, df float64) float64 {
	if p == 0.5 {
		return 0
	}
	if p < 0.5 {
		return -StudentTQuantile(1-p, df)
	}
	lo, hi := 0.0, 1.0
	for StudentTCDF(hi, df) < p {
		lo, hi = hi, 2*hi
		if hi > 1e12 {
			return math.Inf(1)
		}
	}
	for range 200 {
		mid := (lo + hi) / 2
		if StudentTCDF(mid, df) < p {
			lo = mid
		} else {
			hi = mid
		}
		if hi-lo < 1e-12*max(1, hi) {
			break
		}
	}
	return (lo + hi) / 2
}

// StudentTCDF is the cumulative distribution function of Student's t
// distribution with df degrees of freedom.
func StudentTCDF(t, df float64) float64 {
	x := df / (df + t*t)
	tail := 0.5 * regIncBeta(df/2, 0.5, x)
	if t >= 0 {
		return 1 - tail
	}
	return tail
}

// regIncBeta is the regularized incomplete beta function I_x(a, b),
// evaluated by its continued fraction (modified Lentz).
func regIncBeta(a, b, x float64) float64 {
	switch {
	case x <= 0:
		return 0
	case x >= 1:
		return 1
	}
	la, _ := math.Lgamma(a + b)
	lb, _ := math.Lgamma(a)
	lc, _ := math.Lgamma(b)
	front := math.Exp(la - lb - lc + a*math.Log(x) + b*math.Log(1-x))
	if x > (a+1)/(a+b+2) { // the fraction converges fast on this side
		return 1 - front*betaCF(b, a, 1-x)/b
	}
	return front * betaCF(a, b, x) / a
}

func betaCF(a, b, x float64) float64 {
	const tiny = 1e-300
	c, d := 1.0, 1-(a+b)*x/(a+1)
	if math.Abs(d) < tiny {
		d = tiny
	}
	d = 1 / d
	h := d
	for m := 1; m <= 300; m++ {
		fm := float64(m)
		num := fm * (b - fm) * x / ((a + 2*fm - 1) * (a + 2*fm))
		for i := 0; i < 2; i++ {
			d = 1 + num*d
			if math.Abs(d) < tiny {
				d = tiny
			}
			c = 1 + num/c
			if math.Abs(c) < tiny {
				c = tiny
			}
			d = 1 / d
			h *= d * c
			num = -(a + fm) * (a + b + fm) * x / ((a + 2*fm) * (a + 2*fm + 1))
		}
		if math.Abs(d*c-1) < 1e-15 {
			break
		}
	}
	return h
}
