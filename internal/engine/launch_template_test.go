package engine

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestExpandTemplate(t *testing.T) {
	vllm := []string{"vllm", "serve", "{model}", "--port", "{port}", "--quantization", "{quantization}"}
	tests := []struct {
		name string
		argv []string
		v    TemplateVars
		want []string
		err  string
	}{
		{"all", vllm, TemplateVars{Model: "m/x", Quantization: "awq"},
			[]string{"vllm", "serve", "m/x", "--port", "{port}", "--quantization", "awq"}, ""},
		{"no quantization drops the flag", vllm, TemplateVars{Model: "m"},
			[]string{"vllm", "serve", "m", "--port", "{port}"}, ""},
		{"inside an argument", []string{"srv", "--model={model}", "{host}:{port}"}, TemplateVars{Model: "gpt2"},
			[]string{"srv", "--model=gpt2", "{host}:{port}"}, ""},
		{"empty positional", []string{"srv", "{quantization}"}, TemplateVars{},
			[]string{"srv"}, ""},
		{"unknown placeholder", []string{"srv", "--gpu", "{gpu}"}, TemplateVars{}, nil, "unknown placeholder {gpu}"},
		{"empty", nil, TemplateVars{}, nil, "empty"},
		{"empty command", []string{"{model}"}, TemplateVars{}, nil, "the command {model} is empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ExpandTemplate(tt.argv, tt.v)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("got %v, want an error containing %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// launchTree is WithProcess over the "server" launchee, which starts a
// grandchild; it returns fn's error and the pids of both processes.
func launchTree(t *testing.T, ctx context.Context, fn func(ctx context.Context, p *Process) error) (error, int, int) {
	t.Helper()
	dir := t.TempDir()
	pidfile := filepath.Join(dir, "child.pid")
	var leader int
	err := WithProcess(ctx, LaunchOptions{
		Argv:    []string{os.Args[0], "--name={model}", "{host}:{port}"},
		Env:     []string{"MUAIBENCH_LAUNCHEE=server", "MUAIBENCH_PIDFILE=" + pidfile},
		LogPath: filepath.Join(dir, "engine.log"),
	}, TemplateVars{Model: "tiny"}, func(ctx context.Context, p *Process) error {
		leader = p.PID
		resp, err := http.Get(p.URL + "/health")
		if err != nil {
			t.Errorf("engine not answering: %v", err)
		} else {
			resp.Body.Close()
		}
		return fn(ctx, p)
	})
	var child int
	data, _ := os.ReadFile(pidfile)
	fmt.Sscan(string(data), &child)
	return err, leader, child
}

// Every way out of WithProcess ends the engine and its grandchild.
func TestWithProcessLeavesNothingBehind(t *testing.T) {
	errRun := errors.New("the run failed")
	tests := []struct {
		name    string
		fn      func(ctx context.Context, p *Process) error
		cancel  bool
		wantErr error
	}{
		{"normal end", func(context.Context, *Process) error { return nil }, false, nil},
		{"error during the run", func(context.Context, *Process) error { return errRun }, false, errRun},
		{"context cancelled", func(ctx context.Context, p *Process) error {
			<-ctx.Done()
			// The engine is stopped at the cancel, before fn returns.
			select {
			case <-p.done:
			case <-time.After(10 * time.Second):
				t.Error("engine still running 10s after the cancel")
			}
			return ctx.Err()
		}, true, context.Canceled},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			fn := tt.fn
			if tt.cancel {
				inner := fn
				fn = func(ctx context.Context, p *Process) error {
					cancel() // Ctrl-C in the middle of the run
					return inner(ctx, p)
				}
			}
			err, leader, child := launchTree(t, ctx, fn)
			if !errors.Is(err, tt.wantErr) {
				t.Errorf("got %v, want %v", err, tt.wantErr)
			}
			if leader == 0 || child == 0 {
				t.Fatalf("got engine %d, grandchild %d; want both started", leader, child)
			}
			waitGone(t, leader)
			waitGone(t, child)
		})
	}
}

func TestWithProcessPanic(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	pidfile := filepath.Join(dir, "child.pid")
	var leader int
	func() {
		defer func() {
			if r := recover(); r != "boom" {
				t.Errorf("got panic %v, want boom", r)
			}
		}()
		WithProcess(context.Background(), LaunchOptions{
			Argv:    []string{os.Args[0], "{host}:{port}"},
			Env:     []string{"MUAIBENCH_LAUNCHEE=server", "MUAIBENCH_PIDFILE=" + pidfile},
			LogPath: filepath.Join(dir, "engine.log"),
		}, TemplateVars{}, func(_ context.Context, p *Process) error {
			leader = p.PID
			panic("boom")
		})
	}()
	var child int
	data, _ := os.ReadFile(pidfile)
	fmt.Sscan(string(data), &child)
	if leader == 0 || child == 0 {
		t.Fatalf("got engine %d, grandchild %d; want both started", leader, child)
	}
	waitGone(t, leader)
	waitGone(t, child)
}
