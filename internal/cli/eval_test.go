package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/muaibench/muaibench/internal/config"
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

// TestEvalKVCache checks that --kv-cache-dtype fp16 evaluates the FP32
// weights with an FP16 cache against the FP32 one: a small, nonzero
// divergence, labelled; and that another format is refused in one line.
func TestEvalKVCache(t *testing.T) {
	text := filepath.Join(t.TempDir(), "text.txt")
	os.WriteFile(text, []byte(strings.Repeat("The quick brown fox jumps over the lazy dog. ", 12)), 0o644)
	code, stdout, stderr := runCLI(t, "eval", "--model", "tiny", "--quantization", "fp32", "--kv-cache-dtype", "fp16", "--text", text, "--json")
	if code != 0 {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	var res infer.EvalResult
	if err := json.Unmarshal([]byte(stdout), &res); err != nil {
		t.Fatalf("stdout is not an EvalResult: %v\n%s", err, stdout)
	}
	if res.Quantization != "fp32" || res.KVCache != "fp16" || res.MeanKL <= 0 || res.MeanKL > 1e-6 || res.Top1Agreement < 0.99 {
		t.Errorf("got %+v, want fp32 weights, fp16 cache, 0 < KL <= 1e-6, top-1 >= 0.99", res)
	}
	code, _, stderr = runCLI(t, "eval", "--model", "tiny", "--kv-cache-dtype", "int8", "--text", text)
	if code != 2 || strings.Count(strings.TrimSpace(stderr), "\n") != 0 || !strings.Contains(stderr, `--kv-cache-dtype: unknown KV cache format "int8" (valid: fp32, fp16)`) {
		t.Errorf("got exit %d stderr %q, want 2 and one line naming the flag", code, stderr)
	}
}

// TestCardFactsKVCache checks that the memory suite reads the embedded
// engine's KV bytes per value from its model card: 2 for an fp16 cache,
// 4 otherwise.
func TestCardFactsKVCache(t *testing.T) {
	for _, tc := range []struct {
		dtype string
		want  int
	}{{"fp16", 2}, {"fp32", 4}, {"", 4}} {
		card := map[string]any{"shape": map[string]any{"n_layer": 12.0, "n_head": 12.0, "n_embd": 768.0}}
		if tc.dtype != "" {
			card["kv_cache_dtype"] = tc.dtype
		}
		fs := cardFacts(modelCard{m: map[string]any{"card": card}}, &config.Engine{})
		if fs.layout == nil || fs.layout.BytesPerValue != tc.want || fs.layout.BytesPerToken() != int64(2*12*768*tc.want) {
			t.Errorf("kv_cache_dtype %q: layout %+v, want %d bytes a value", tc.dtype, fs.layout, tc.want)
		}
	}
}
