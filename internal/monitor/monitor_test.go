package monitor

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// fakeSampler returns its counter, counting up; it fails when fail is
// set. It tells sampled, when set, after each sample.
type fakeSampler struct {
	n       float64
	fail    bool
	sampled chan struct{}
}

func (f *fakeSampler) Name() string { return "fake" }

func (f *fakeSampler) Sample(context.Context) ([]Value, error) {
	if f.fail {
		return nil, errors.New("broken")
	}
	f.n++
	if f.sampled != nil {
		f.sampled <- struct{}{}
	}
	return []Value{{"fake_count", "count", "fake", f.n}}, nil
}

func TestMonitorRunsOnTheInjectedTicker(t *testing.T) {
	start := time.Unix(100, 0)
	clock := start
	ticks := make(chan time.Time)
	stopped := make(chan struct{})
	fs := &fakeSampler{sampled: make(chan struct{})}
	m := New(Options{
		Interval: time.Second,
		Samplers: []Sampler{fs, &fakeSampler{fail: true}},
		Start:    start,
		Now:      func() time.Time { return clock },
		Ticker: func(d time.Duration) (<-chan time.Time, func()) {
			if d != time.Second {
				t.Errorf("got interval %s, want 1s", d)
			}
			return ticks, func() { close(stopped) }
		},
	})
	// The clock moves only between samples: each sample reads it before
	// the fake sampler reports, and the test waits for that report.
	clock = start.Add(500 * time.Millisecond)
	stop := m.Go(context.Background())
	<-fs.sampled
	for i := 1; i <= 3; i++ {
		clock = start.Add(time.Duration(i)*time.Second + 500*time.Millisecond)
		ticks <- clock
		<-fs.sampled
	}
	stop()
	<-stopped
	got := m.Series()
	want := []Series{{Name: "fake_count", Unit: "count", Source: "fake",
		Points: []Point{{0.5, 1}, {1.5, 2}, {2.5, 3}, {3.5, 4}}}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if errs := m.Errors(); len(errs) != 1 || errs[0] != "fake: broken" {
		t.Errorf("got errors %q, want the failing sampler's first error once", errs)
	}
}

func TestForEngineSamplesEverything(t *testing.T) {
	t.Parallel()
	c := mustChild(t, "alloc:8")
	data, err := os.ReadFile("testdata/vllm_metrics.prom")
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write(data) }))
	defer srv.Close()
	m, reason, closeGPU := ForEngine(EngineOptions{PID: c.cmd.Process.Pid, URL: srv.URL})
	defer closeGPU()
	vals := m.Sample(context.Background())
	for _, name := range []string{ProcessRSS, ProcessPeakRSS, ProcessProcesses, "go_goroutines", "go_heap_objects_bytes", "vllm:num_requests_running"} {
		if v, ok := Lookup(vals, name); !ok || v <= 0 {
			t.Errorf("got %s = %v (%v), want a positive value", name, v, ok)
		}
	}
	if reason == "" { // a GPU is present
		for _, name := range []string{GPUMemoryUsed(0), GPUProcessMemory} {
			if _, ok := Lookup(vals, name); !ok {
				t.Errorf("got no %s with a GPU present", name)
			}
		}
	} else if !strings.HasPrefix(reason, "no GPU") {
		t.Errorf("got reason %q, want one starting with \"no GPU\"", reason)
	}
	if errs := m.Errors(); len(errs) != 0 {
		t.Errorf("got errors %q, want none", errs)
	}
	if _, reason, _ := ForEngine(EngineOptions{URL: srv.URL}); !strings.HasPrefix(reason, "no GPU") {
		t.Errorf("got reason %q without a PID, want no GPU", reason)
	}
}

func TestSeriesHelpers(t *testing.T) {
	s := Series{Points: []Point{{0, 3}, {1, 7}, {2, 5}}}
	if v, _ := s.Max(); v != 7 {
		t.Errorf("got max %g, want 7", v)
	}
	if v, _ := s.Last(); v != 5 {
		t.Errorf("got last %g, want 5", v)
	}
	if got := s.Between(0.5, 2); len(got) != 2 {
		t.Errorf("got %v between 0.5 and 2, want 2 points", got)
	}
	var empty Series
	if _, ok := empty.Max(); ok {
		t.Error("got a max of an empty series")
	}
}
