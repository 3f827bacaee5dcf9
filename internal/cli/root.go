// Package cli is muaibench's command line: one file per subcommand, each
// turning flags into a configuration and calling a package.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"
)

// Exit codes.
const (
	exitOK          = 0
	exitFailure     = 1   // the run failed
	exitUsage       = 2   // bad flags or configuration, unreachable engine: nothing was sent
	exitInterrupted = 130 // Ctrl-C; what finished was saved
)

// exitError carries an exit code with the message.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

// usageErr marks err as a problem found before anything was sent.
func usageErr(err error) error { return &exitError{code: exitUsage, err: err} }

// Main runs the command line and returns the process's exit code. Errors
// are printed as one line on stderr, never as a stack trace.
func Main(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	root := newRoot(stdout, stderr)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return exitOK
	}
	fmt.Fprintf(stderr, "muaibench: %s\n", strings.ReplaceAll(err.Error(), "\n", " "))
	var ee *exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	if strings.HasPrefix(err.Error(), "unknown command") || strings.Contains(err.Error(), "flag") {
		return exitUsage
	}
	return exitFailure
}

func newRoot(stdout, stderr io.Writer) *cobra.Command {
	root := &cobra.Command{
		Use:   "muaibench",
		Short: "Benchmark LLM inference engines: latency, throughput, memory, stress",
		Long: `muaibench benchmarks LLM inference engines (vLLM, SGLang, TGI, llama.cpp,
Ollama, DeepSpeed-MII, TensorRT-LLM, ...) over their OpenAI-compatible APIs,
following the MuAI performance benchmarking plan. It carries its own
reference engine (GPT-2 in pure Go): with no --engine, a suite launches it
on a free loopback port, so everything runs on a laptop with no GPU and no
network.

Every command reads config/benchmark.yaml (or --config FILE); flags
override the file. Results go to data/benchmarks/ as JSON, with every
request's record in a JSONL file beside it.`,
		Example: `  muaibench run --quick
  muaibench latency --quick
  muaibench latency --engine http://127.0.0.1:8000 --model meta-llama/Llama-3.1-8B --all-lengths
  muaibench serve --model gpt2 --addr 127.0.0.1:8000
  muaibench env`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.CompletionOptions.DisableDefaultCmd = true
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return usageErr(fmt.Errorf("%s: %w (see %s --help)", c.CommandPath(), err, c.CommandPath()))
	})
	root.AddCommand(
		newLatencyCmd(),
		newThroughputCmd(), newStressCmd(),
		newMemoryCmd(),
		newReportCmd(),
		newCompareCmd(),
		newRunCmd(),
		newServeCmd(), newEvalCmd(),
		newEnvCmd(),
		newVersionCmd(),
	)
	return root
}
