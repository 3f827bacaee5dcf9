package config

import (
	"strings"
	"testing"
)

func TestLaunchEngines(t *testing.T) {
	tests := []struct {
		name, engine, want string
	}{
		{"ok", `launch: [vllm, serve, "{model}", --port, "{port}", --quantization, "{quantization}"]
    model: m
    quantizations: {fp32: "", int4: awq}
    kv_layout: {layers: 2, kv_heads: 2, head_dim: 8, bytes_per_value: 2}`, ""},
		{"url and launch", `launch: [srv, "{port}"]
    url: http://127.0.0.1:1`, "x.yaml:4: engines.e.url: must be empty when launch is given"},
		{"no port", `launch: [srv, --model, "{model}"]`, "engines.e.launch: must pass {port}"},
		{"bad quantization", `launch: [srv, "{port}"]
    quantizations: {fp8: x}`, "engines.e.quantizations.fp8: must be one of"},
		{"relative ready path", `launch: [srv, "{port}"]
    ready_path: health`, "engines.e.ready_path: must be a path starting with /"},
		{"neither", `model: m`, "engines.e.url: must be set, or a launch command given"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := Parse("x.yaml", []byte("engines:\n  e:\n    "+tt.engine+"\n"))
			if tt.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				e := f.Config.Engines["e"]
				if len(e.Launch) != 7 || e.Quantizations["int4"] != "awq" || e.KVLayout.BytesPerToken() != 2*2*2*8*2 {
					t.Errorf("got %+v, want the launch entry decoded", e)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %v, want an error containing %q", err, tt.want)
			}
		})
	}
}
