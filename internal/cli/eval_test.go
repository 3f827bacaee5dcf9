package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/muaibench/muaibench/internal/infer"
)

func TestEvalSynthetic(t *testing.T) {
	text := filepath.Join(t.TempDir(), "text.txt")
	os.WriteFile(text, []byte(strings.Repeat("The quick brown fox jumps over the lazy dog. ", 12)), 0o644)
	code, stdout, stderr := runCLI(t, "eval", "--model", "tiny", "--quantization", "int8", "--text", text, "--window", "32", "--stride", "16", "--json")
	if code != 0 {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	var res infer.EvalResult
	if err := json.Unmarshal([]byte(stdout), &res); err != nil {
		t.Fatalf("stdout is not an EvalResult: %v\n%s", err, stdout)
	}
	if !res.Synthetic || res.Quantization != "int8" || res.Tokens < 100 || res.MeanKL <= 0 || res.MeanKL > 1e-4 || res.Top1Agreement < 0.8 {
		t.Errorf("got %+v, want synthetic int8 over 100+ tokens, 0 < KL <= 1e-4, top-1 >= 0.8", res)
	}
	code, stdout, _ = runCLI(t, "eval", "--model", "tiny", "--quantization", "fp32", "--text", text)
	if code != 0 || !strings.Contains(stdout, "synthetic weights") || !strings.Contains(stdout, "top-1 agree    100.00%") {
		t.Errorf("got exit %d stdout %q, want the synthetic label and 100%% agreement", code, stdout)
	}
}
