package config

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Quantizations are the weight formats the plan compares.
var Quantizations = []string{"fp32", "fp16", "int8", "int4"}

// Phases are the suites `muaibench run` can run, in the plan's order.
var Phases = []string{"latency", "memory", "throughput", "stress"}

// Formats are the result formats a report can be written in.
var Formats = []string{"json", "csv", "md", "html"}

// Validate checks every value and returns the first problem, naming the
// key and, when it came from the file, its line. Keys are checked in file
// order so that the first error is the first a reader meets.
func (f *File) Validate() error {
	c := f.Config
	b := &c.Benchmark
	var errs []*FieldError
	add := func(key, format string, args ...any) {
		errs = append(errs, f.fieldErr(key, format, args...))
	}
	nonNeg := func(key string, v int) {
		if v < 0 {
			add(key, "must be >= 0, got %d", v)
		}
	}
	positive := func(key string, v int) {
		if v < 1 {
			add(key, "must be >= 1, got %d", v)
		}
	}
	posDur := func(key string, d time.Duration) {
		if d <= 0 {
			add(key, "must be a positive duration such as 30s, got %s", d)
		}
	}
	lengths := func(key string, v []int) {
		if len(v) == 0 {
			add(key, "must list at least one value")
		}
		for i, n := range v {
			if n < 1 {
				add(fmt.Sprintf("%s[%d]", key, i), "must be >= 1, got %d", n)
			}
		}
	}
	oneOf := func(key, v string, allowed []string) {
		for _, a := range allowed {
			if v == a {
				return
			}
		}
		add(key, "must be one of %v, got %q", allowed, v)
	}

	l := &b.Latency
	nonNeg("benchmark.latency.warmup_runs", l.WarmupRuns)
	positive("benchmark.latency.test_runs", l.TestRuns)
	positive("benchmark.latency.quick_runs", l.QuickRuns)
	lengths("benchmark.latency.input_lengths", l.InputLengths)
	lengths("benchmark.latency.output_lengths", l.OutputLengths)
	if len(l.InputLengths) != len(l.OutputLengths) {
		add("benchmark.latency.output_lengths", "must have one entry per input length (%d), got %d",
			len(l.InputLengths), len(l.OutputLengths))
	}
	for in, runs := range l.RunsByInputLength {
		if runs < 1 {
			add("benchmark.latency.runs_by_input_length."+strconv.Itoa(in), "must be >= 1, got %d", runs)
		}
	}
	oneOf("benchmark.latency.api", l.API, []string{"completions", "chat"})
	posDur("benchmark.latency.timeout", l.Timeout)
	if l.Temperature < 0 {
		add("benchmark.latency.temperature", "must be >= 0, got %g", l.Temperature)
	}

	m := &b.Memory
	for i, q := range m.Quantizations {
		oneOf(fmt.Sprintf("benchmark.memory.quantizations[%d]", i), q, Quantizations)
	}
	positive("benchmark.memory.load_iterations", m.LoadIterations)
	positive("benchmark.memory.leak_iterations", m.LeakIterations)
	posDur("benchmark.memory.sample_interval", m.SampleInterval)
	positive("benchmark.memory.inference_requests", m.InferenceRequests)
	positive("benchmark.memory.input_length", m.InputLength)
	positive("benchmark.memory.output_length", m.OutputLength)
	nonNeg("benchmark.memory.leak_warmup", m.LeakWarmup)
	if m.LeakWarmupMax != 0 && m.LeakWarmupMax < m.LeakWarmup {
		add("benchmark.memory.leak_warmup_max", "must be 0 or >= leak_warmup (%d), got %d", m.LeakWarmup, m.LeakWarmupMax)
	}
	if m.LeakDuration < 0 {
		add("benchmark.memory.leak_duration", "must be >= 0, got %s", m.LeakDuration)
	}

	t := &b.Throughput
	lengths("benchmark.throughput.concurrent_requests", t.ConcurrentRequests)
	lengths("benchmark.throughput.batch_sizes", t.BatchSizes)
	posDur("benchmark.throughput.duration", t.Duration)
	positive("benchmark.throughput.input_length", t.InputLength)
	positive("benchmark.throughput.output_length", t.OutputLength)
	if t.Warmup < 0 {
		add("benchmark.throughput.warmup", "must be >= 0, got %s", t.Warmup)
	}
	positive("benchmark.throughput.sweep_probes", t.SweepProbes)

	s := &b.Stress
	posDur("benchmark.stress.duration", s.Duration)
	if s.Load < 1 || s.Load > 1000 {
		add("benchmark.stress.load", "must be a percentage of capacity between 1 and 1000, got %d", s.Load)
	}
	posDur("benchmark.stress.window", s.Window)
	if s.Capacity < 0 {
		add("benchmark.stress.capacity", "must be >= 0 requests/s (0 measures it), got %g", s.Capacity)
	}
	posDur("benchmark.stress.stall_timeout", s.StallTimeout)

	if b.Report.OutputDir == "" {
		add("benchmark.report.output_dir", "must not be empty")
	}
	oneOf("benchmark.report.format", b.Report.Format, Formats)
	for _, k := range []struct {
		key string
		d   time.Duration
	}{{"benchmark.slo.ttft", b.SLO.TTFT}, {"benchmark.slo.tpot", b.SLO.TPOT}, {"benchmark.slo.e2e", b.SLO.E2E}} {
		if k.d < 0 {
			add(k.key, "must be >= 0, got %s", k.d)
		}
	}

	sc := &b.SuccessCriteria
	for _, k := range []struct {
		key   string
		t     Threshold
		lower bool
	}{
		{"benchmark.success_criteria.ttft_ms", sc.TTFTMs, true},
		{"benchmark.success_criteria.tokens_per_s", sc.TokensPerS, false},
		{"benchmark.success_criteria.memory_gb", sc.MemoryGB, true},
		{"benchmark.success_criteria.throughput_rps", sc.ThroughputRPS, false},
		{"benchmark.success_criteria.speedup", sc.Speedup.Threshold, false},
		{"benchmark.success_criteria.memory_leak_mb_per_hour", sc.MemoryLeakMBPerHour, true},
	} {
		switch {
		case k.t.Target < 0 || k.t.Acceptable < 0:
			add(k.key, "bounds must be >= 0, got target %g acceptable %g", k.t.Target, k.t.Acceptable)
		case k.lower && k.t.Acceptable < k.t.Target:
			add(k.key+".acceptable", "must be >= target (%g) since lower is better, got %g", k.t.Target, k.t.Acceptable)
		case !k.lower && k.t.Acceptable > k.t.Target:
			add(k.key+".acceptable", "must be <= target (%g) since higher is better, got %g", k.t.Target, k.t.Acceptable)
		}
	}
	for i, p := range b.Run.Phases {
		oneOf(fmt.Sprintf("benchmark.run.phases[%d]", i), p, Phases)
	}

	names := make([]string, 0, len(c.Engines))
	for name := range c.Engines {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		e := c.Engines[name]
		key := "engines." + name
		if e == nil {
			add(key, "must be a mapping with api, url, model, ...")
			continue
		}
		oneOf(key+".api", e.API, []string{"openai"})
		if e.URL == "" && name != "embedded" && len(e.Launch) == 0 {
			add(key+".url", "must be set, or a launch command given (only the embedded engine is launched without one)")
		}
		if len(e.Launch) > 0 {
			validateLaunch(key, e, add)
		}
		if e.KVCacheDtype != "" {
			if name != "embedded" || e.URL != "" || len(e.Launch) > 0 {
				add(key+".kv_cache_dtype", "applies only to the embedded engine that muaibench launches; give another engine its KV cache format in its launch command")
			} else {
				oneOf(key+".kv_cache_dtype", e.KVCacheDtype, []string{"fp32", "fp16"})
			}
		}
		if e.URL != "" {
			if u, err := url.Parse(e.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				add(key+".url", "must be an http:// or https:// URL, got %q", e.URL)
			}
		}
		if e.Tokenizer != "" && e.Tokenizer != "gpt2" {
			if _, err := os.Stat(e.Tokenizer); err != nil {
				add(key+".tokenizer", "must be gpt2 or the path of a tokenizer.json: %v", errors.Unwrap(err))
			}
		}
	}
	if _, ok := c.Engines[b.Engine]; !ok {
		add("benchmark.engine", "names no entry of engines (have %v)", names)
	}

	if len(errs) == 0 {
		return nil
	}
	sort.SliceStable(errs, func(i, j int) bool {
		li, lj := errs[i].Line, errs[j].Line
		if li == 0 || lj == 0 {
			return li != 0 && lj == 0
		}
		return li < lj
	})
	return errs[0]
}

// validateLaunch checks an engine's launch template: a command, a {port}
// to put the free port in, and no url beside it.
func validateLaunch(key string, e *Engine, add func(key, format string, args ...any)) {
	if e.URL != "" {
		add(key+".url", "must be empty when launch is given: a launched engine gets a free port")
	}
	if strings.TrimSpace(e.Launch[0]) == "" {
		add(key+".launch[0]", "must name the command")
	}
	hasPort := false
	for _, a := range e.Launch {
		hasPort = hasPort || strings.Contains(a, "{port}")
	}
	if !hasPort {
		add(key+".launch", "must pass {port} to the engine (muaibench picks a free port)")
	}
	if e.ReadyPath != "" && !strings.HasPrefix(e.ReadyPath, "/") {
		add(key+".ready_path", "must be a path starting with /, got %q", e.ReadyPath)
	}
	if e.ReadyTimeout < 0 {
		add(key+".ready_timeout", "must be >= 0, got %s", e.ReadyTimeout)
	}
	for q := range e.Quantizations {
		found := false
		for _, k := range Quantizations {
			found = found || q == k
		}
		if !found {
			add(key+".quantizations."+q, "must be one of %v", Quantizations)
		}
	}
}

// KeyError wraps err as a problem with key, with the key's line when the
// file has it. Callers use it for values checked outside this package
// (an engine dialect, an API key variable).
func (f *File) KeyError(key string, err error) error {
	return f.fieldErr(key, "%v", err)
}

// CheckOutputDir makes sure results can be written: it creates the
// directory and a file in it, then removes the file.
func (f *File) CheckOutputDir() error {
	dir := f.Config.Benchmark.Report.OutputDir
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return f.fieldErr("benchmark.report.output_dir", "not writable: %v", err)
	}
	tmp, err := os.CreateTemp(dir, ".muaibench-write-check-*")
	if err != nil {
		return f.fieldErr("benchmark.report.output_dir", "not writable: %v", err)
	}
	tmp.Close()
	os.Remove(tmp.Name())
	return nil
}
