package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/muaibench/muaibench/internal/infer"
	"github.com/muaibench/muaibench/internal/infer/kernels"
	"github.com/muaibench/muaibench/internal/tokenizer"
	"github.com/spf13/cobra"
)

type evalFlags struct {
	model, weights, quant, text string
	kvCache                     string
	window, stride, maxTokens   int
	seed                        uint64
	json                        bool
}

func newEvalCmd() *cobra.Command {
	var ef evalFlags
	cmd := &cobra.Command{
		Use:   "eval",
		Short: "Measure a weight format's quality: perplexity, and KL divergence and top-1 agreement against FP32",
		Long: `eval runs the embedded engine over a text with a sliding window and reports
the perplexity of the chosen weight format and, against FP32 weights on the
same windows, the mean KL divergence of the next-token distributions and the
top-1 agreement.

Without --weights the weights are synthetic: the numbers then measure how far
the format moves the model's outputs, not language quality, and are labelled
so.`,
		Example: `  muaibench eval --model gpt2 --quantization int8 --text README.md
  muaibench eval --weights ~/models/gpt2 --quantization int4 --text wiki.txt --window 1024 --stride 512`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runEval(cmd, &ef) },
	}
	fs := cmd.Flags()
	fs.StringVar(&ef.model, "model", "gpt2", "model shape ("+strings.Join(infer.ShapeNames(), ", ")+"); with --weights, the checkpoint's")
	fs.StringVar(&ef.weights, "weights", "", "Hugging Face checkpoint directory (default synthetic weights)")
	fs.StringVar(&ef.quant, "quantization", "int8", "weight format to evaluate: "+strings.Join(kernels.FormatNames(), ", "))
	fs.StringVar(&ef.kvCache, "kv-cache-dtype", "fp32", "KV cache format of the evaluated model (the FP32 reference keeps fp32): fp32 or fp16")
	fs.StringVar(&ef.text, "text", "", "text file to score (required)")
	fs.IntVar(&ef.window, "window", 0, "tokens of context per window (default the model's context)")
	fs.IntVar(&ef.stride, "stride", 0, "tokens the window moves each step (default half the window)")
	fs.IntVar(&ef.maxTokens, "max-tokens", 0, "score only the text's first N tokens (0: all)")
	fs.Uint64Var(&ef.seed, "seed", 1, "seed of the synthetic weights")
	fs.BoolVar(&ef.json, "json", false, "print the result as JSON")
	return cmd
}

func runEval(cmd *cobra.Command, ef *evalFlags) error {
	format, err := kernels.ParseFormat(ef.quant)
	if err != nil {
		return usageErr(fmt.Errorf("--quantization: unknown format %q (valid: %s)", ef.quant, strings.Join(kernels.FormatNames(), ", ")))
	}
	kv, err := parseKVCache(ef.kvCache)
	if err != nil {
		return usageErr(err)
	}
	if ef.text == "" {
		return usageErr(fmt.Errorf("--text: a text file is required"))
	}
	text, err := os.ReadFile(ef.text)
	if err != nil {
		return usageErr(fmt.Errorf("--text: %w", err))
	}
	tok, err := tokenizer.GPT2()
	if err != nil {
		return err
	}
	tokens := tok.Encode(string(text))
	if ef.maxTokens > 0 && len(tokens) > ef.maxTokens {
		tokens = tokens[:ef.maxTokens]
	}
	load := func(f kernels.Format, opts ...infer.Option) (*infer.GPT2, error) {
		opts = append(opts, infer.WithFormat(f))
		if ef.weights != "" {
			return infer.Load(cmd.Context(), ef.weights, opts...)
		}
		shape, err := infer.ShapeByName(ef.model)
		if err != nil {
			return nil, fmt.Errorf("--model %s: %w (or give --weights for a checkpoint)", ef.model, err)
		}
		return infer.NewSynthetic(shape, ef.seed, opts...)
	}
	ref, err := load(kernels.FP32)
	if err != nil {
		return usageErr(err)
	}
	g := ref
	switch {
	case format != kernels.FP32:
		if g, err = load(format, infer.WithKVCache(kv)); err != nil {
			return usageErr(err)
		}
	case kv != kernels.FP32: // the reference's weights, another cache
		if g, err = infer.New(ref.Weights(), infer.WithKVCache(kv)); err != nil {
			return err
		}
	}
	res, err := infer.Evaluate(cmd.Context(), g, ref, tokens, infer.EvalOptions{Window: ef.window, Stride: ef.stride})
	if err != nil {
		return usageErr(err)
	}
	if ef.json {
		enc := json.NewEncoder(cmd.OutOrStdout())
		enc.SetIndent("", "  ")
		return enc.Encode(res)
	}
	writeEval(cmd.OutOrStdout(), res, g.Info())
	return nil
}

// writeEval renders an eval result as text.
func writeEval(w io.Writer, r infer.EvalResult, info infer.ModelInfo) {
	label := ""
	if r.Synthetic {
		label = " (synthetic weights: these measure the format's error, not language quality)"
	}
	fmt.Fprintf(w, "eval %s %s, weights %s%s\n", info.Shape.Name, r.Quantization, r.Weights, label)
	fmt.Fprintf(w, "  precision      %s\n", info.Precision)
	fmt.Fprintf(w, "  KV cache       %s\n", info.KVCache)
	fmt.Fprintf(w, "  tokens scored  %d (window %d, stride %d)\n", r.Tokens, r.Window, r.Stride)
	fmt.Fprintf(w, "  perplexity     %.4f (fp32 %.4f, %+.3f%%)\n", r.Perplexity, r.RefPerplexity, 100*(r.Perplexity/r.RefPerplexity-1))
	side := r.Quantization
	if r.KVCache != "" && r.KVCache != "fp32" {
		side += " with an " + r.KVCache + " KV cache"
	}
	fmt.Fprintf(w, "  mean KL        %.6g nats (fp32 ‖ %s)\n", r.MeanKL, side)
	fmt.Fprintf(w, "  top-1 agree    %.2f%%\n", 100*r.Top1Agreement)
}
