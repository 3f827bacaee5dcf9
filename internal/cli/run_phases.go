package cli

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/muaibench/muaibench/internal/config"
	"github.com/muaibench/muaibench/internal/report"
	"github.com/muaibench/muaibench/internal/suite"
	"github.com/muaibench/muaibench/internal/workload"
)

// phaseEnv is what a phase runs with.
type phaseEnv struct {
	f     *config.File
	tf    *targetFlags
	t     *target
	run   *report.RunInfo
	quick bool
	// prior are the results of the phases before.
	prior       []string
	out, stderr io.Writer
}

// phaseFunc runs one phase and returns the paths of the results it wrote.
type phaseFunc func(ctx context.Context, e phaseEnv) ([]string, error)

// phase returns the runner of a phase, or nil when this build has no
// such suite.
func phase(name string) phaseFunc {
	if name == "latency" {
		return latencyPhase
	}
	args, ok := phaseArgs[name]
	if !ok {
		return nil
	}
	if c, _, err := newRoot(io.Discard, io.Discard).Find([]string{name}); err != nil || c.Name() != name {
		return nil
	}
	return commandPhase(name, args[0], args[1])
}

// phaseArgs are the flags of each suite's command: with --quick, then
// without.
var phaseArgs = map[string][2][]string{
	// The other suites run as their own commands, in process, so that
	// run does exactly what `muaibench throughput` etc. do; --quick
	// picks short settings that keep the whole run within minutes.
	"memory": {
		{"--quick", "--quantizations", "fp32,int8"},
		{"--all-quantizations", "--inference", "--kv-cache", "--leak-detection"}},
	"throughput": {
		{"--all-concurrency", "--all-batch-sizes", "--concurrency", "1,2,4", "--batch-sizes", "4", "--duration", "8s", "--warmup", "2s", "--input-length", "64", "--output-length", "32"},
		{"--all"}},
	"stress": {
		{"--scenario", "S1", "--duration", "20s", "--window", "5s"},
		nil},
}

// commandPhase runs a suite's own command with the run's configuration,
// engine and output directory, and returns the results it wrote (found
// as the new result files of the output directory), marked with the run.
func commandPhase(name string, quick, full []string) phaseFunc {
	return func(ctx context.Context, e phaseEnv) ([]string, error) {
		dir := e.f.Config.Benchmark.Report.OutputDir
		before, _ := filepath.Glob(filepath.Join(dir, "*.json"))
		args := []string{name, "--output-dir", dir}
		if e.f.Path != "" {
			args = append(args, "--config", e.f.Path)
		}
		for _, fl := range []struct{ name, v string }{
			{"--engine", e.tf.engine}, {"--model", e.tf.model}, {"--dialect", e.tf.dialect}, {"--tokenizer", e.tf.tokenizer},
		} {
			if fl.v != "" {
				args = append(args, fl.name, fl.v)
			}
		}
		if e.quick {
			args = append(args, quick...)
		} else {
			args = append(args, full...)
		}
		if name == "stress" {
			// The throughput phase measured the capacity stress loads
			// as a share of: do not measure it again.
			if c := measuredCapacity(e.prior); c > 0 {
				args = append(args, "--capacity", strconv.FormatFloat(c, 'f', 3, 64))
			}
		}
		root := newRoot(e.out, e.stderr)
		root.SetArgs(args)
		err := root.ExecuteContext(ctx)
		after, _ := filepath.Glob(filepath.Join(dir, "*.json"))
		var paths []string
		for _, p := range after {
			if slices.Contains(before, p) {
				continue
			}
			res, rerr := report.ReadFile(p)
			if rerr != nil || res.Suite != name {
				continue
			}
			res.Run = e.run
			if werr := report.WriteFile(p, res); werr != nil {
				return paths, werr
			}
			paths = append(paths, p)
		}
		if err != nil {
			return paths, fmt.Errorf("muaibench %s: %w", strings.Join(args, " "), err)
		}
		return paths, nil
	}
}

// latencyPhase runs the latency suite on the open target.
func latencyPhase(ctx context.Context, e phaseEnv) ([]string, error) {
	b := &e.f.Config.Benchmark
	scenarios := b.Latency.Scenarios(e.quick)
	warmup := b.Latency.WarmupRuns
	if e.quick {
		warmup = min(warmup, 1)
	}
	gen, err := workload.New(e.t.tok, workload.Options{Seed: b.Latency.Seed})
	if err != nil {
		return nil, err
	}
	stamp := time.Now().Format("20060102_150405")
	base := filepath.Join(b.Report.OutputDir, fmt.Sprintf("latency_results_%s_%s_r%d", safeName(e.t.info.Name), stamp, e.run.Repetition))
	records, err := report.CreateRecords(base + ".jsonl")
	if err != nil {
		return nil, err
	}
	defer records.Close()
	res, err := suite.Latency(ctx, suite.LatencyOptions{
		Config:    e.f.Config,
		Scenarios: scenarios,
		Warmup:    warmup,
		Client:    e.t.client,
		Engine:    e.t.info,
		Prompts: func(tokens, index int) (string, error) {
			return gen.PromptAt(uint64(index), tokens)
		},
		Count:      func(s string) int { return len(e.t.tok.Encode(s)) },
		ContextLen: e.t.contextLen,
		Records:    records,
		Progress:   newProgress(e.stderr),
	})
	if err != nil {
		return nil, err
	}
	res.RecordsFile = filepath.Base(base + ".jsonl")
	res.Run = e.run
	if err := report.WriteFile(base+".json", res); err != nil {
		return nil, err
	}
	if err := report.WriteTable(e.out, res); err != nil {
		return nil, err
	}
	return []string{base + ".json"}, nil
}

// measuredCapacity is the peak request throughput of the last throughput
// result among paths, 0 when there is none.
func measuredCapacity(paths []string) float64 {
	for _, p := range slices.Backward(paths) {
		res, err := report.ReadFile(p)
		if err != nil || res.Suite != "throughput" {
			continue
		}
		if res.Throughput != nil && res.Throughput.PeakRequestsPerS > 0 {
			return res.Throughput.PeakRequestsPerS
		}
		peak := 0.0
		for _, s := range res.Scenarios {
			peak = max(peak, s.Summary.RequestThroughput)
		}
		return peak
	}
	return 0
}
