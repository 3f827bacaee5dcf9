package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/muaibench/muaibench/internal/config"
	"github.com/muaibench/muaibench/internal/engine"
)

// launchable reports whether muaibench starts the engine itself: the
// embedded engine, or an entry with a launch command.
func launchable(name string, e *config.Engine) bool {
	return len(e.Launch) > 0 || name == "embedded" && e.URL == ""
}

// launchTemplate is the entry's launch command; the embedded engine's is
// muaibench's own serve, with --quantization once serve has the flag and
// the entry's kv_cache_dtype.
func launchTemplate(e *config.Engine) ([]string, error) {
	if len(e.Launch) > 0 {
		return e.Launch, nil
	}
	exe, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("cannot find muaibench's own executable to launch the embedded engine: %w", err)
	}
	argv := []string{exe, "serve", "--addr", "{host}:{port}", "--model", "{model}"}
	if serveHasQuantization() {
		argv = append(argv, "--quantization", "{quantization}")
	}
	if e.KVCacheDtype != "" {
		argv = append(argv, "--kv-cache-dtype", e.KVCacheDtype)
	}
	return argv, nil
}

// serveHasQuantization reports whether the embedded engine takes
// --quantization (the quantized-weights issue adds it).
func serveHasQuantization() bool {
	return newServeCmd().Flags().Lookup("quantization") != nil
}

// quantizationValue is what the entry's launch command takes for the
// plan's quantization q, or why q cannot be launched.
func quantizationValue(name string, e *config.Engine, q string) (value, unavailable string) {
	if len(e.Launch) == 0 { // the embedded engine
		if !serveHasQuantization() {
			if q == "fp32" {
				return "", ""
			}
			return "", "the embedded engine has no --quantization yet (issue 4)"
		}
		return q, ""
	}
	value = q
	if len(e.Quantizations) > 0 {
		v, ok := e.Quantizations[q]
		if !ok {
			return "", fmt.Sprintf("engines.%s.quantizations does not list %s", name, q)
		}
		value = v
	}
	if !strings.Contains(strings.Join(e.Launch, " "), "{quantization}") {
		if len(e.Quantizations) > 0 && value == "" || len(e.Quantizations) == 0 && q == "fp32" {
			return "", "" // the launch as it is
		}
		return "", fmt.Sprintf("engines.%s.launch has no {quantization} placeholder", name)
	}
	return value, ""
}

// launchEntry starts the entry's engine at a quantization value ("" for
// none) and waits until it is ready; its log goes to the output
// directory.
func launchEntry(ctx context.Context, cfg *config.Config, name string, e *config.Engine, quant string, stderr io.Writer) (*engine.Process, error) {
	argv, err := launchTemplate(e)
	if err != nil {
		return nil, err
	}
	label := safeName(name)
	if quant != "" {
		label += "_" + safeName(quant)
	}
	logPath := filepath.Join(cfg.Benchmark.Report.OutputDir, label+"_engine_"+time.Now().Format("20060102_150405.000")+".log")
	fmt.Fprintf(stderr, "launching %s (%s), log in %s\n", name, e.Model, logPath)
	timeout := e.ReadyTimeout
	if timeout == 0 && len(e.Launch) > 0 {
		timeout = 10 * time.Minute // real engines load large checkpoints
	}
	return engine.LaunchTemplate(ctx, engine.LaunchOptions{
		Argv:         argv,
		Env:          childEnv,
		LogPath:      logPath,
		ReadyPath:    e.ReadyPath,
		ReadyTimeout: timeout,
	}, engine.TemplateVars{Model: e.Model, Quantization: quant})
}
