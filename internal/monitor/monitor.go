package monitor

import (
	"context"
	"sync"
	"time"
)

// Sampler takes one reading of what it watches. A sampler that cannot
// read (the process is gone, the engine does not answer) returns an
// error; the monitor keeps the first one and goes on.
type Sampler interface {
	// Name names the sampler in errors: "process", "gpu", "engine", "go".
	Name() string
	Sample(ctx context.Context) ([]Value, error)
}

// Ticker makes the monitor's ticks: a channel receiving one value per
// interval and a function that stops it.
type Ticker func(d time.Duration) (<-chan time.Time, func())

// Options configures a Monitor.
type Options struct {
	// Interval between samples (default one second).
	Interval time.Duration
	Samplers []Sampler
	// Start is t = 0 of every series, normally the start of the run so
	// that series line up with its requests; zero means New's now.
	Start time.Time
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Ticker makes the interval's ticks; nil means a time.Ticker.
	Ticker Ticker
}

// Monitor samples its samplers on an interval while Run runs, and on
// demand with Sample. It is safe for concurrent use.
type Monitor struct {
	o Options

	mu     sync.Mutex
	st     store
	errs   map[string]error
	errOrd []string
}

// New makes a monitor; nothing is sampled until Run or Sample.
func New(o Options) *Monitor {
	if o.Interval <= 0 {
		o.Interval = time.Second
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Ticker == nil {
		o.Ticker = func(d time.Duration) (<-chan time.Time, func()) {
			t := time.NewTicker(d)
			return t.C, t.Stop
		}
	}
	if o.Start.IsZero() {
		o.Start = o.Now()
	}
	return &Monitor{o: o, st: store{start: o.Start, series: map[string]*Series{}}, errs: map[string]error{}}
}

// Run samples at once, then on every tick until ctx ends.
func (m *Monitor) Run(ctx context.Context) {
	ticks, stop := m.o.Ticker(m.o.Interval)
	defer stop()
	m.Sample(ctx)
	for {
		select {
		case <-ctx.Done():
			return
		case <-ticks:
			m.Sample(ctx)
		}
	}
}

// Go runs the monitor in a goroutine and returns the function that stops
// it and waits for it to finish.
func (m *Monitor) Go(ctx context.Context) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		m.Run(ctx)
	}()
	return func() {
		cancel()
		<-done
	}
}

// Sample reads every sampler once, stores the values with the time it
// started and returns them.
func (m *Monitor) Sample(ctx context.Context) []Value {
	at := m.o.Now()
	var all []Value
	for _, s := range m.o.Samplers {
		vals, err := s.Sample(ctx)
		if err != nil && ctx.Err() == nil {
			m.mu.Lock()
			if _, seen := m.errs[s.Name()]; !seen {
				m.errs[s.Name()] = err
				m.errOrd = append(m.errOrd, s.Name())
			}
			m.mu.Unlock()
		}
		all = append(all, vals...)
	}
	m.mu.Lock()
	m.st.add(at, all)
	m.mu.Unlock()
	return all
}

// Offset returns the time t as seconds since the monitor's start, the
// same axis as its points.
func (m *Monitor) Offset(t time.Time) float64 { return t.Sub(m.o.Start).Seconds() }

// Series returns a copy of everything sampled so far, ordered by source
// (process, gpu, engine, go) then name.
func (m *Monitor) Series() []Series {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.st.snapshot()
}

// Errors returns the first error of each sampler that failed, as
// "sampler: message", in the order they first failed.
func (m *Monitor) Errors() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]string, 0, len(m.errOrd))
	for _, n := range m.errOrd {
		out = append(out, n+": "+m.errs[n].Error())
	}
	return out
}

// Lookup returns the value named name from vals.
func Lookup(vals []Value, name string) (float64, bool) {
	for _, v := range vals {
		if v.Name == name {
			return v.V, true
		}
	}
	return 0, false
}
