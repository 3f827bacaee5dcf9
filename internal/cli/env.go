package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"runtime"
	"strings"
	"time"

	"github.com/muaibench/muaibench/internal/infer"
	"github.com/muaibench/muaibench/internal/infer/kernels"
	"github.com/muaibench/muaibench/internal/sysinfo"
	"github.com/spf13/cobra"
)

type envFlags struct {
	target     targetFlags
	configPath string
	speedModel string
	formats    []string
	kvCache    string
	noSpeed    bool
	bwBytes    int
	asJSON     bool
}

// formatSpeed is the embedded engine's speed with one weight format.
type formatSpeed struct {
	Format  string `json:"quantization"`
	KVCache string `json:"kv_cache_dtype"`
	infer.Speed
}

// envReport is what `muaibench env` found.
type envReport struct {
	System      sysinfo.Info  `json:"system"`
	Kernels     string        `json:"kernels"`
	BandwidthBS float64       `json:"read_bandwidth_bytes_per_s"`
	PeakFLOPS   float64       `json:"fp32_fma_peak_flop_per_s,omitempty"`
	Speeds      []formatSpeed `json:"embedded_engine_speed,omitempty"`
	SpeedModel  string        `json:"embedded_engine_model,omitempty"`
	Engine      string        `json:"engine,omitempty"`
	EngineOK    string        `json:"engine_check,omitempty"`
}

func newEnvCmd() *cobra.Command {
	var ef envFlags
	cmd := &cobra.Command{
		Use:   "env",
		Short: "Check the environment: CPU, memory, GPU, bandwidth, engine speed (Phase 1)",
		Long: `env describes the machine (CPU model, cores and SIMD features, memory, OS,
Go, GPUs and driver through NVML), measures its memory read bandwidth, and
runs the embedded engine's decode for a few seconds to report its speed as a
fraction of the bandwidth ceiling (bandwidth ÷ weight bytes read per token).
With --engine it also checks that the engine answers.`,
		Example: `  muaibench env
  muaibench env --quantization all     # fp32, fp16, int8 and int4 decode
  muaibench env --quantization int8 --kv-cache-dtype fp16
  muaibench env --engine http://127.0.0.1:8000 --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runEnv(cmd, &ef) },
	}
	fs := cmd.Flags()
	fs.StringVar(&ef.configPath, "config", defaultConfigPath(), "configuration file")
	ef.target.register(cmd)
	fs.StringVar(&ef.speedModel, "speed-model", "gpt2", "embedded model shape whose decode speed is measured")
	fs.StringSliceVar(&ef.formats, "quantization", []string{"fp32"}, "weight formats whose speed is measured, comma-separated or all: "+strings.Join(kernels.FormatNames(), ", "))
	fs.StringVar(&ef.kvCache, "kv-cache-dtype", "fp32", "format of the embedded engine's KV cache: fp32 or fp16")
	fs.BoolVar(&ef.noSpeed, "no-speed", false, "skip the embedded engine's speed check")
	fs.IntVar(&ef.bwBytes, "bandwidth-bytes", 1<<30, "buffer size for the read-bandwidth measurement")
	fs.BoolVar(&ef.asJSON, "json", false, "print JSON instead of text")
	return cmd
}

func runEnv(cmd *cobra.Command, ef *envFlags) error {
	out := cmd.OutOrStdout()
	rep := envReport{System: sysinfo.Collect(), Kernels: kernels.Impl()}
	probe := kernels.NewBandwidthProbe(ef.bwBytes)
	defer probe.Close()
	rep.BandwidthBS = probe.Bandwidth(2 * time.Second)
	rep.PeakFLOPS = kernels.PeakFLOPS(200 * time.Millisecond)
	if !ef.noSpeed {
		shape, err := infer.ShapeByName(ef.speedModel)
		if err != nil {
			return usageErr(fmt.Errorf("--speed-model: %w", err))
		}
		formats, err := parseFormats(ef.formats)
		if err != nil {
			return usageErr(fmt.Errorf("--quantization: %w", err))
		}
		kv, err := parseKVCache(ef.kvCache)
		if err != nil {
			return usageErr(err)
		}
		rep.SpeedModel = shape.Name
		for _, f := range formats {
			m, err := infer.NewSynthetic(shape, 1, infer.WithFormat(f), infer.WithKVCache(kv))
			if err != nil {
				return err
			}
			sp, err := infer.MeasureSpeed(m, min(128, shape.Context/2), min(128, shape.Context/2), probe)
			m = nil
			runtime.GC() // the weights live off the heap until collected
			if err != nil {
				return err
			}
			rep.Speeds = append(rep.Speeds, formatSpeed{Format: f.String(), KVCache: kv.String(), Speed: sp})
		}
	}
	if ef.target.engine != "" {
		f, err := loadConfig(ef.configPath)
		if err != nil {
			return err
		}
		rep.Engine = ef.target.engine
		t, err := openTarget(cmd.Context(), f, &ef.target, cmd.ErrOrStderr())
		if err != nil {
			rep.EngineOK = err.Error()
		} else {
			rep.EngineOK = fmt.Sprintf("ok: serves %s (dialect %s, context %d)", t.info.Model, t.info.Dialect, t.contextLen)
			t.Close()
		}
	}
	if ef.asJSON {
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	writeEnv(out, &rep)
	return nil
}

func writeEnv(w io.Writer, r *envReport) {
	s := r.System
	fmt.Fprintf(w, "CPU        %s, %d cores (%s)\n", s.CPUModel, s.CPUCores, strings.Join(s.CPUFeatures, " "))
	fmt.Fprintf(w, "memory     %.1f GiB\n", float64(s.MemoryBytes)/(1<<30))
	fmt.Fprintf(w, "OS         %s, kernel %s, %s/%s\n", s.OS, s.Kernel, runtime.GOOS, runtime.GOARCH)
	fmt.Fprintf(w, "Go         %s, GOMAXPROCS %d\n", s.GoVersion, s.GOMAXPROCS)
	if s.GPU.Available {
		fmt.Fprintf(w, "GPU        driver %s, CUDA %s\n", s.GPU.DriverVersion, s.GPU.CUDAVersion)
		for _, d := range s.GPU.Devices {
			fmt.Fprintf(w, "  %d        %s, %.1f GiB (%.1f GiB used)\n", d.Index, d.Name, float64(d.MemoryTotal)/(1<<30), float64(d.MemoryUsed)/(1<<30))
		}
	} else {
		fmt.Fprintf(w, "GPU        %s\n", s.GPU.Reason)
	}
	fmt.Fprintf(w, "kernels    %s\n", r.Kernels)
	fmt.Fprintf(w, "bandwidth  %.1f GB/s memory read (all cores)\n", r.BandwidthBS/1e9)
	if r.PeakFLOPS > 0 {
		fmt.Fprintf(w, "compute    %.0f GFLOP/s FP32 multiply-add (all cores)\n", r.PeakFLOPS/1e9)
	}
	for _, sp := range r.Speeds {
		fmt.Fprintf(w, "embedded   %s %s synthetic, %.0f MB of weights, %s KV cache\n", r.SpeedModel, sp.Format, float64(sp.WeightBytes)/1e6, sp.KVCache)
		fmt.Fprintf(w, "  prefill  %d tokens in %.0f ms: %.0f tokens/s, %.0f GFLOP/s", sp.PromptTokens, sp.PrefillSeconds*1000, sp.PrefillTPS, sp.PrefillFLOPS/1e9)
		if r.PeakFLOPS > 0 && (sp.Format == "fp32" || sp.Format == "fp16") {
			// The integer formats' products do not run on FP32 FMAs.
			fmt.Fprintf(w, " (%.0f%% of the FP32 peak)", 100*sp.PrefillFLOPS/r.PeakFLOPS)
		}
		fmt.Fprintln(w)
		fmt.Fprintf(w, "  decode   %d tokens from an empty context: %.1f tokens/s; ceiling %.1f tokens/s (bandwidth ÷ weight bytes per token)\n", sp.DecodeTokens, sp.DecodeTPS, sp.CeilingTPS)
		if sp.Rounds > 0 {
			fmt.Fprintf(w, "           %.0f%% of the ceiling: median of %d rounds of %d tokens, each timed after %d settling tokens and set against the bandwidth measured around it (%.0f–%.0f%%)\n",
				100*sp.Fraction, sp.Rounds, (sp.DecodeTokens+sp.Rounds-1)/sp.Rounds, infer.SettleTokens, 100*sp.FractionMin, 100*sp.FractionMax)
		}
	}
	if r.Engine != "" {
		fmt.Fprintf(w, "engine     %s: %s\n", r.Engine, r.EngineOK)
	}
}

// parseFormats reads --quantization: format names, or all.
func parseFormats(names []string) ([]kernels.Format, error) {
	if len(names) == 0 {
		return nil, fmt.Errorf("no format given (valid: all, %s)", strings.Join(kernels.FormatNames(), ", "))
	}
	var fs []kernels.Format
	for _, n := range names {
		if strings.EqualFold(n, "all") {
			for _, a := range kernels.FormatNames() {
				f, _ := kernels.ParseFormat(a)
				fs = append(fs, f)
			}
			continue
		}
		f, err := kernels.ParseFormat(n)
		if err != nil {
			return nil, err
		}
		fs = append(fs, f)
	}
	return fs, nil
}
