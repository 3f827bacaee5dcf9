package cli

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"

	"github.com/muaibench/muaibench/internal/infer"
	"github.com/muaibench/muaibench/internal/infer/kernels"
	"github.com/muaibench/muaibench/internal/infer/sched"
	"github.com/muaibench/muaibench/internal/server"
	"github.com/muaibench/muaibench/internal/tokenizer"
	"github.com/spf13/cobra"
)

type serveFlags struct {
	models   []string
	weights  []string
	addr     string
	sched    sched.Options
	threads  int
	seed     uint64
	logLevel string
	quant    string
	kvCache  string
}

func newServeCmd() *cobra.Command {
	var sf serveFlags
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the embedded GPT-2 engine as an OpenAI-compatible server",
		Long: `serve runs muaibench's own inference engine: GPT-2 in pure Go with SIMD
kernels, continuous batching and a block KV cache, behind an OpenAI-compatible
API (/v1/completions, /v1/chat/completions, /v1/models, /health, /metrics).

Without --weights it generates deterministic synthetic weights of the exact
shape (gpt2: 124M parameters), so compute and memory are the real model's
and every answer says "weights: synthetic". With --weights DIR it loads a
Hugging Face checkpoint (config.json + model.safetensors).

Several --model flags serve several models in one process, routed by the
request's "model" field.`,
		Example: `  muaibench serve
  muaibench serve --model gpt2 --model gpt2-medium --addr 127.0.0.1:8000
  muaibench serve --model gpt2 --weights ~/models/gpt2
  muaibench serve --quantization int8   # weights converted to 8 bits at load time
  muaibench serve --kv-cache-dtype fp16 # keys and values stored as halves: half the KV bytes
  muaibench serve --no-batching   # one sequence at a time, to measure what batching gains`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runServe(cmd, &sf) },
	}
	fs := cmd.Flags()
	fs.StringArrayVar(&sf.models, "model", []string{"gpt2"}, "model to serve: a shape ("+strings.Join(infer.ShapeNames(), ", ")+") or, with --weights, any name; repeat for several")
	fs.StringArrayVar(&sf.weights, "weights", nil, "Hugging Face checkpoint directory for the model (DIR with one --model, or NAME=DIR); default synthetic weights")
	fs.StringVar(&sf.addr, "addr", "127.0.0.1:8000", "address to listen on (port 0 picks a free one)")
	fs.IntVar(&sf.sched.MaxSeqs, "max-seqs", 16, "most sequences in the running batch")
	fs.IntVar(&sf.sched.MaxBatchTokens, "max-batch-tokens", 512, "most tokens in one forward step, prefill and decode together")
	fs.IntVar(&sf.sched.PrefillChunk, "prefill-chunk", 256, "most prompt tokens of one sequence per step (chunked prefill)")
	fs.Int64Var(&sf.sched.KVCacheBytes, "kv-cache-bytes", 0, "KV cache capacity in bytes (default: max-seqs full contexts, at most 1 GiB)")
	fs.BoolVar(&sf.sched.NoBatching, "no-batching", false, "one sequence at a time (switches continuous batching off)")
	fs.IntVar(&sf.threads, "threads", 0, "compute threads (default: every core)")
	fs.StringVar(&sf.quant, "quantization", "fp32", "weight format, converted at load time: "+strings.Join(kernels.FormatNames(), ", "))
	fs.StringVar(&sf.kvCache, "kv-cache-dtype", "fp32", "format of the KV cache's keys and values: fp32, or fp16 for half the bytes")
	fs.Uint64Var(&sf.seed, "seed", 1, "seed of the synthetic weights")
	fs.Int64Var(&sf.sched.Seed, "sampling-seed", 0, "seed for sampling requests that bring no seed of their own")
	fs.StringVar(&sf.logLevel, "log-level", "info", "debug, info, warn or error")
	return cmd
}

func runServe(cmd *cobra.Command, sf *serveFlags) error {
	var level slog.Level
	if err := level.UnmarshalText([]byte(sf.logLevel)); err != nil {
		return usageErr(fmt.Errorf("--log-level: %w", err))
	}
	log := slog.New(slog.NewTextHandler(cmd.ErrOrStderr(), &slog.HandlerOptions{Level: level}))
	format, err := kernels.ParseFormat(sf.quant)
	if err != nil {
		return usageErr(fmt.Errorf("--quantization: unknown format %q (valid: %s)", sf.quant, strings.Join(kernels.FormatNames(), ", ")))
	}
	kv, err := parseKVCache(sf.kvCache)
	if err != nil {
		return usageErr(err)
	}
	if sf.threads > 0 {
		kernels.SetThreads(sf.threads)
	}
	weights, err := weightDirs(sf.models, sf.weights)
	if err != nil {
		return usageErr(err)
	}
	tok, err := tokenizer.GPT2()
	if err != nil {
		return err
	}
	var specs []server.ModelSpec
	for _, name := range sf.models {
		var m *infer.GPT2
		if dir, ok := weights[name]; ok {
			m, err = infer.Load(cmd.Context(), dir, infer.WithFormat(format), infer.WithKVCache(kv))
		} else {
			var shape infer.Shape
			shape, err = infer.ShapeByName(name)
			if err != nil {
				return usageErr(fmt.Errorf("--model %s: %w (or give --weights for a checkpoint)", name, err))
			}
			m, err = infer.NewSynthetic(shape, sf.seed, infer.WithFormat(format), infer.WithKVCache(kv))
		}
		if err != nil {
			return usageErr(fmt.Errorf("--model %s: %w", name, err))
		}
		info := m.Info()
		log.Info("model loaded", "model", name, "params", info.Params, "quantization", info.Quantization, "kv_cache", info.KVCache, "weight_bytes", info.WeightBytes,
			"weights", info.Weights, "kernels", kernels.Impl())
		specs = append(specs, server.ModelSpec{Name: name, Model: m, Tokenizer: tok})
	}
	srv, err := server.New(server.Options{Models: specs, Sched: sf.sched, Log: log})
	if err != nil {
		return usageErr(err)
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(cmd.Context(), "tcp", sf.addr)
	if err != nil {
		return usageErr(fmt.Errorf("--addr %s: %w", sf.addr, err))
	}
	fmt.Fprintf(cmd.ErrOrStderr(), "muaibench serve: listening on http://%s\n", ln.Addr())
	if err := srv.Serve(cmd.Context(), ln); err != nil && !errors.Is(err, net.ErrClosed) {
		return err
	}
	return nil
}

// parseKVCache reads --kv-cache-dtype: fp32 or fp16.
func parseKVCache(s string) (kernels.Format, error) {
	if f, err := kernels.ParseFormat(s); err == nil && (f == kernels.FP32 || f == kernels.FP16) {
		return f, nil
	}
	return 0, fmt.Errorf("--kv-cache-dtype: unknown KV cache format %q (valid: fp32, fp16)", s)
}

// weightDirs maps model names to checkpoint directories from --weights
// values: DIR (with exactly one --model) or NAME=DIR.
func weightDirs(models, weights []string) (map[string]string, error) {
	out := map[string]string{}
	for _, w := range weights {
		name, dir, ok := strings.Cut(w, "=")
		if !ok {
			if len(models) != 1 {
				return nil, fmt.Errorf("--weights %s: with several --model flags, say which: NAME=DIR", w)
			}
			name, dir = models[0], w
		}
		found := false
		for _, m := range models {
			found = found || m == name
		}
		if !found {
			return nil, fmt.Errorf("--weights %s: no --model %s", w, name)
		}
		out[name] = dir
	}
	return out, nil
}
