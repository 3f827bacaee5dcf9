package engine

import (
	"context"
	"fmt"
	"regexp"
	"strings"
)

// Placeholders a launch template may use. Launch fills in {port} and
// {host}; ExpandTemplate fills in the others.
var Placeholders = []string{"{port}", "{host}", "{model}", "{quantization}"}

var placeholderRE = regexp.MustCompile(`\{[A-Za-z_]+\}`)

// TemplateVars are the values of a launch template's placeholders other
// than {port} and {host}.
type TemplateVars struct {
	Model        string
	Quantization string
}

// ExpandTemplate fills {model} and {quantization} into a launch template
// such as
//
//	[vllm, serve, "{model}", --port, "{port}", --quantization, "{quantization}"]
//
// leaving {port} and {host} for Launch. An argument that is exactly a
// placeholder whose value is empty is dropped together with the flag
// before it ("--quantization {quantization}" with no quantization), so
// one template serves the unquantized launch too. A placeholder it does
// not know is an error.
func ExpandTemplate(argv []string, v TemplateVars) ([]string, error) {
	if len(argv) == 0 {
		return nil, fmt.Errorf("engine: launch template is empty")
	}
	vals := map[string]string{"{model}": v.Model, "{quantization}": v.Quantization}
	var out []string
	for i, a := range argv {
		for _, p := range placeholderRE.FindAllString(a, -1) {
			if !knownPlaceholder(p) {
				return nil, fmt.Errorf("engine: launch template argument %d %q: unknown placeholder %s (known: %s)",
					i, a, p, strings.Join(Placeholders, " "))
			}
		}
		if val, ok := vals[a]; ok && val == "" {
			if i == 0 {
				return nil, fmt.Errorf("engine: launch template: the command %s is empty", a)
			}
			if n := len(out); n > 1 && strings.HasPrefix(out[n-1], "-") {
				out = out[:n-1]
			}
			continue
		}
		for p, val := range vals {
			a = strings.ReplaceAll(a, p, val)
		}
		out = append(out, a)
	}
	return out, nil
}

func knownPlaceholder(p string) bool {
	for _, k := range Placeholders {
		if p == k {
			return true
		}
	}
	return false
}

// LaunchTemplate expands the template in o.Argv with v and launches it
// (see Launch): the command runs without a shell in its own process
// group, its output goes to o.LogPath, and it returns once the engine
// answers o.ReadyPath.
func LaunchTemplate(ctx context.Context, o LaunchOptions, v TemplateVars) (*Process, error) {
	argv, err := ExpandTemplate(o.Argv, v)
	if err != nil {
		return nil, err
	}
	o.Argv = argv
	return Launch(ctx, o)
}

// WithProcess launches the engine, runs fn with it and stops the whole
// process group however fn ends: it returns, fails, panics, or ctx is
// cancelled (then the engine is stopped at once, without waiting for fn).
// No engine process outlives the call.
func WithProcess(ctx context.Context, o LaunchOptions, v TemplateVars, fn func(ctx context.Context, p *Process) error) error {
	p, err := LaunchTemplate(ctx, o, v)
	if err != nil {
		return err
	}
	defer p.Stop()
	stopOnCancel := context.AfterFunc(ctx, func() { p.Stop() })
	defer stopOnCancel()
	return fn(ctx, p)
}
