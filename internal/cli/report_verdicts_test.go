package cli

import (
	"bytes"
	"strings"
	"testing"

	"github.com/muaibench/muaibench/internal/report"
)

// TestWriteVerdictsSaysWhyNotMeasured checks that a value without a
// verdict is printed with the reason it has none.
func TestWriteVerdictsSaysWhyNotMeasured(t *testing.T) {
	v := 822.0
	var buf bytes.Buffer
	writeVerdicts(&buf, []report.Verdict{
		{Criterion: "memory leak", Subject: "embedded", Status: report.NotMeasured, Value: &v,
			Measured: "+822.0 MB/hour [+443.2, +1200.9]", Basis: "inconclusive: a --quick smoke test", Target: "≤ 0 MB/hour"},
		{Criterion: "peak memory", Subject: "embedded", Status: report.Pass, Measured: "0.6 GB", Basis: "peak RSS", Target: "≤ 2 GB"},
	})
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 2 || !strings.Contains(lines[0], "[+443.2, +1200.9]; inconclusive: a --quick smoke test") || strings.Contains(lines[1], "peak RSS") {
		t.Errorf("got\n%s\nwant the leak line to end with its reason, and the PASS line without its basis", buf.String())
	}
}
