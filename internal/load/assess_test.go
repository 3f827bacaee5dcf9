package load

import (
	"strings"
	"testing"
	"time"
)

func TestAssess(t *testing.T) {
	t.Parallel()
	began := time.Unix(0, 0)
	rep := func(cpuS float64, capWaits uint64) Report {
		return Report{Began: began, Ended: began.Add(10 * time.Second), CPUSeconds: cpuS, Cores: 2, CapWaits: capWaits, MaxInFlight: 8}
	}
	tests := []struct {
		name       string
		r          Report
		lagP99     float64
		bottleneck bool
		want       string
	}{
		{"healthy", rep(2, 0), 1, false, ""},
		{"busy client", rep(19, 0), 1, true, "used 190% CPU of its 2 cores"},
		{"late and busy", rep(12, 0), 50, true, "the client itself was busy"},
		{"late and starved", rep(1, 0), 50, true, "starved of CPU"},
		{"engine behind the cap", rep(1, 30), 500, false, "30 requests waited for the in-flight cap of 8"},
		{"stalled", Report{Began: began, Ended: began.Add(time.Second), Stalled: true, StallDetail: "no request completed for 1m"}, 0, false, "watchdog: no request completed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, warns := tt.r.Assess(tt.lagP99, 0)
			joined := strings.Join(warns, " | ")
			if b != tt.bottleneck || (tt.want == "") != (joined == "") || !strings.Contains(joined, tt.want) {
				t.Errorf("got %v %q, want %v and %q", b, joined, tt.bottleneck, tt.want)
			}
		})
	}
}
