package cli

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestEnvSpeedPerFormat runs env's speed check on the tiny model in every
// format, as JSON: each format has prefill and decode rates and a decode
// fraction of the ceiling paired with the bandwidth probe's rounds.
func TestEnvSpeedPerFormat(t *testing.T) {
	code, stdout, stderr := runCLI(t, "env", "--speed-model", "tiny", "--quantization", "all", "--bandwidth-bytes", "4194304", "--json")
	if code != 0 {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	var rep struct {
		Speeds []struct {
			Format   string  `json:"quantization"`
			Prefill  float64 `json:"prefill_tokens_per_s"`
			Decode   float64 `json:"decode_tokens_per_s"`
			Ceiling  float64 `json:"ceiling_tokens_per_s"`
			Fraction float64 `json:"fraction_of_ceiling"`
			Min      float64 `json:"fraction_of_ceiling_min"`
			Max      float64 `json:"fraction_of_ceiling_max"`
			Rounds   int     `json:"rounds"`
		} `json:"embedded_engine_speed"`
	}
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatalf("%v in %s", err, stdout)
	}
	var formats []string
	for _, s := range rep.Speeds {
		formats = append(formats, s.Format)
		if s.Prefill <= 0 || s.Decode <= 0 || s.Ceiling <= 0 || s.Rounds < 1 || !(s.Min <= s.Fraction && s.Fraction <= s.Max) {
			t.Errorf("%s: got %+v, want positive rates and a median fraction within its rounds' range", s.Format, s)
		}
	}
	if got := strings.Join(formats, ","); got != "fp32,fp16,int8,int4" {
		t.Errorf("got formats %s, want fp32,fp16,int8,int4", got)
	}

	code, _, stderr = runCLI(t, "env", "--speed-model", "tiny", "--quantization", "int3")
	if code != 2 || strings.Count(strings.TrimSpace(stderr), "\n") != 0 || !strings.Contains(stderr, `unknown weight format "int3"`) {
		t.Errorf("--quantization int3: exit %d, stderr %q; want exit 2 and one line naming the format", code, stderr)
	}
}
