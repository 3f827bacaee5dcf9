package monitor

import (
	"context"
	"math"
	"os/exec"
	"testing"
	"time"
)

const mib = 1 << 20

func TestReadTreeMeasuresAKnownAllocation(t *testing.T) {
	t.Parallel()
	base := mustChild(t, "alloc:0")
	big := mustChild(t, "alloc:96")
	b, err := ReadTree(base.cmd.Process.Pid)
	if err != nil {
		t.Fatal(err)
	}
	m, err := ReadTree(big.cmd.Process.Pid)
	if err != nil {
		t.Fatal(err)
	}
	got := float64(m.RSS-b.RSS) / mib
	if math.Abs(got-96) > 96*0.1 {
		t.Errorf("got an RSS difference of %.1f MiB (%d vs %d bytes), want 96 MiB ± 10%%", got, m.RSS, b.RSS)
	}
	if m.PeakRSS < m.RSS {
		t.Errorf("got peak RSS %d below RSS %d", m.PeakRSS, m.RSS)
	}
	if m.PSSKnown && math.Abs(float64(m.PSS-b.PSS)/mib-96) > 96*0.1 {
		t.Errorf("got a PSS difference of %.1f MiB, want 96 MiB ± 10%%", float64(m.PSS-b.PSS)/mib)
	}
	if len(m.PIDs) != 1 {
		t.Errorf("got %d processes in the tree, want 1", len(m.PIDs))
	}
}

func TestReadTreeCountsDescendants(t *testing.T) {
	t.Parallel()
	p := mustChild(t, "parent:64")
	tm, err := ReadTree(p.cmd.Process.Pid)
	if err != nil {
		t.Fatal(err)
	}
	if len(tm.PIDs) != 2 || tm.PIDs[0] != p.cmd.Process.Pid {
		t.Fatalf("got tree %v, want the parent %d and its child", tm.PIDs, p.cmd.Process.Pid)
	}
	if tm.RSS < 64*mib {
		t.Errorf("got tree RSS %d, want at least the child's 64 MiB", tm.RSS)
	}
}

func TestReadTreeOfNoProcess(t *testing.T) {
	t.Parallel()
	c := exec.Command("true")
	if err := c.Run(); err != nil {
		t.Skip("no true command:", err)
	}
	pid := c.Process.Pid
	if _, err := ReadTree(pid); err == nil {
		t.Errorf("got no error reading the tree of ended process %d", pid)
	}
}

// A process that leaks on purpose is caught and one that does not is
// not: each sample follows one "iteration" of the child, on a fake clock
// of one second per iteration.
func TestTrendCatchesALeakingProcess(t *testing.T) {
	for _, tt := range []struct {
		cmd  string
		leak bool
	}{{"leak", true}, {"noop", false}} {
		t.Run(tt.cmd, func(t *testing.T) {
			t.Parallel()
			c := mustChild(t, "alloc:0")
			clock := time.Unix(0, 0)
			m := New(Options{Samplers: []Sampler{Process{PID: c.cmd.Process.Pid}}, Start: clock,
				Now: func() time.Time { return clock }})
			for range 40 {
				if err := c.say(tt.cmd); err != nil {
					t.Fatal(err)
				}
				clock = clock.Add(time.Second)
				m.Sample(context.Background())
			}
			rss := Find(m.Series(), ProcessRSS)
			if rss == nil || len(rss.Points) != 40 {
				t.Fatalf("got series %+v, want 40 RSS points", m.Series())
			}
			tr, err := FitTrend(rss.Points, 0.95)
			if err != nil {
				t.Fatal(err)
			}
			perIter := tr.Slope / mib
			if tt.leak && (tr.Low <= 0 || math.Abs(perIter-1) > 0.2) {
				t.Errorf("got slope %.3f MiB/iteration, CI [%.0f, %.0f] B/s, want about 1 MiB and above 0", perIter, tr.Low, tr.High)
			}
			if !tt.leak && math.Abs(perIter) > 0.05 {
				t.Errorf("got slope %.3f MiB/iteration, CI [%.0f, %.0f] B/s, want about 0", perIter, tr.Low, tr.High)
			}
		})
	}
}
