package suite

import (
	"time"

	"github.com/muaibench/muaibench/internal/load"
	"github.com/muaibench/muaibench/internal/metrics"
	"github.com/muaibench/muaibench/internal/report"
)

// windower is a load sink that cuts a run into fixed windows: each
// request counts in the window in which it completed. A window closes
// when the clock passes its end (or the run ends) and is handed to emit
// at once, so a long run's windows are on disk as it goes.
type windower struct {
	scenario string
	size     time.Duration
	warmup   time.Duration
	phase    func(start time.Duration) string
	rate     func(t time.Duration) float64 // the offered rate; nil for closed loop
	memory   func() int64
	emit     func(w report.Window)

	began     time.Time
	index     int // the open window
	reqs      int
	errs      int
	connErrs  int
	outTok    int
	e2e, ttft []float64
	inFlight  int64
}

var (
	_ load.Sink     = (*windower)(nil)
	_ load.Ticker   = (*windower)(nil)
	_ load.Beginner = (*windower)(nil)
)

// Begin implements load.Beginner.
func (w *windower) Begin(t time.Time) { w.began = t }

// Add implements load.Sink.
func (w *windower) Add(r *metrics.Record) {
	end := r.Start.Add(time.Duration(r.E2EMs * float64(time.Millisecond)))
	if i := int(end.Sub(w.began) / w.size); i > w.index {
		w.closeUpTo(i, time.Duration(i)*w.size)
	}
	w.reqs++
	if !r.OK() {
		w.errs++
		if r.ErrorKind == "connection" {
			w.connErrs++
		}
		return
	}
	w.outTok += r.OutputTokens
	w.e2e = append(w.e2e, r.E2EMs)
	if r.Chunks > 0 {
		w.ttft = append(w.ttft, r.TTFTMs)
	}
}

// Tick implements load.Ticker.
func (w *windower) Tick(s load.Snapshot) {
	w.inFlight = s.InFlight
	if i := int(s.Elapsed / w.size); i > w.index {
		w.closeUpTo(i, time.Duration(i)*w.size)
	}
	if s.Final && (w.reqs > 0 || s.Elapsed > time.Duration(w.index)*w.size) {
		w.close(s.Elapsed)
	}
}

// closeUpTo closes windows until index i is the open one.
func (w *windower) closeUpTo(i int, _ time.Duration) {
	for w.index < i {
		w.close(time.Duration(w.index+1) * w.size)
	}
}

// close emits the open window, ending at end, and opens the next.
func (w *windower) close(end time.Duration) {
	start := time.Duration(w.index) * w.size
	win := report.Window{
		Scenario: w.scenario, Index: w.index, StartS: start.Seconds(), EndS: end.Seconds(),
		Requests: w.reqs, Errors: w.errs, ConnectionErrors: w.connErrs, InFlight: w.inFlight,
	}
	if w.rate != nil {
		win.TargetRatePerS = w.rate((start + end) / 2)
	}
	if start < w.warmup {
		win.Phase = "warmup"
	} else if w.phase != nil {
		win.Phase = w.phase(start)
	}
	if d := (end - start).Seconds(); d > 0 {
		win.RequestsPerS = float64(w.reqs-w.errs) / d
		win.OutputTokensPerS = float64(w.outTok) / d
	}
	if w.reqs > 0 {
		win.ErrorRate = float64(w.errs) / float64(w.reqs)
	}
	if len(w.e2e) > 0 {
		st := metrics.Summarize(w.e2e)
		win.E2EP50Ms, win.E2EP95Ms = st.P50, st.P95
	}
	if len(w.ttft) > 0 {
		win.TTFTP95Ms = metrics.Summarize(w.ttft).P95
	}
	if w.memory != nil {
		win.EngineMemoryBytes = w.memory()
	}
	if w.emit != nil {
		w.emit(win)
	}
	w.index++
	w.reqs, w.errs, w.connErrs, w.outTok = 0, 0, 0, 0
	w.e2e, w.ttft = w.e2e[:0], w.ttft[:0]
}
