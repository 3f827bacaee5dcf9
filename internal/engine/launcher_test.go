package engine

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The test binary doubles as the launched engine: with MUAIBENCH_LAUNCHEE
// set it acts out a role and exits before any test runs.
func init() {
	switch os.Getenv("MUAIBENCH_LAUNCHEE") {
	case "":
		return
	case "server": // serve /health, after starting a grandchild
		child := exec.Command(os.Args[0])
		child.Env = append(os.Environ(), "MUAIBENCH_LAUNCHEE=sleeper")
		child.Start()
		os.WriteFile(os.Getenv("MUAIBENCH_PIDFILE"), []byte(fmt.Sprint(child.Process.Pid)), 0o644)
		http.HandleFunc("/health", func(w http.ResponseWriter, r *http.Request) {})
		fmt.Println("launchee serving on", os.Args[len(os.Args)-1])
		http.ListenAndServe(os.Args[len(os.Args)-1], nil)
	case "crash":
		fmt.Println("launchee: cannot load the model: out of memory")
		os.Exit(3)
	case "sleeper": // never gets ready
		time.Sleep(time.Hour)
	}
	os.Exit(0)
}

// alive reports whether pid is a running (not zombie) process.
func alive(pid int) bool {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	f := strings.Fields(string(data[strings.LastIndexByte(string(data), ')')+1:]))
	return len(f) > 0 && f[0] != "Z" && f[0] != "X"
}

func waitGone(t *testing.T, pid int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for alive(pid) {
		if time.Now().After(deadline) {
			t.Fatalf("process %d still running", pid)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestLaunchReadyAndStopKillsTheTree(t *testing.T) {
	dir := t.TempDir()
	pidfile := filepath.Join(dir, "child.pid")
	p, err := Launch(context.Background(), LaunchOptions{
		Argv:    []string{os.Args[0], "{host}:{port}"},
		Env:     []string{"MUAIBENCH_LAUNCHEE=server", "MUAIBENCH_PIDFILE=" + pidfile},
		LogPath: filepath.Join(dir, "engine.log"),
	})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get(p.URL + "/health")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("got %v %v from the launched engine, want 200", resp, err)
	}
	resp.Body.Close()
	var child int
	data, _ := os.ReadFile(pidfile)
	fmt.Sscan(string(data), &child)
	if !alive(p.PID) || child == 0 || !alive(child) {
		t.Fatalf("engine %d / grandchild %d not running", p.PID, child)
	}
	p.Stop()
	p.Stop() // twice is fine
	waitGone(t, p.PID)
	waitGone(t, child)
	log, _ := os.ReadFile(filepath.Join(dir, "engine.log"))
	if !strings.Contains(string(log), "launchee serving on 127.0.0.1:") {
		t.Errorf("got log %q, want the engine's output captured", log)
	}
}

func TestLaunchFailures(t *testing.T) {
	tests := []struct {
		role, want string
	}{
		{"crash", "exited before it was ready (exit status 3); its log ends: launchee: cannot load the model: out of memory"},
		{"sleeper", "not ready at http://127.0.0.1:"},
	}
	for _, tt := range tests {
		t.Run(tt.role, func(t *testing.T) {
			dir := t.TempDir()
			_, err := Launch(context.Background(), LaunchOptions{
				Argv:         []string{os.Args[0]},
				Env:          []string{"MUAIBENCH_LAUNCHEE=" + tt.role},
				LogPath:      filepath.Join(dir, "engine.log"),
				ReadyTimeout: 300 * time.Millisecond,
			})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

func TestLaunchCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := Launch(ctx, LaunchOptions{
		Argv: []string{os.Args[0]}, Env: []string{"MUAIBENCH_LAUNCHEE=sleeper"},
		LogPath: filepath.Join(t.TempDir(), "engine.log"),
	})
	if err == nil {
		t.Fatal("got no error from a cancelled launch")
	}
}
