package engine

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// LaunchOptions describes an engine process to start.
type LaunchOptions struct {
	// Argv is the command and its arguments, run without a shell. The
	// placeholders {port} and {host} are replaced in every argument.
	Argv []string
	Env  []string // added to the environment
	// LogPath receives the process's stdout and stderr.
	LogPath string
	// ReadyPath is polled until it answers 200 (default /health).
	ReadyPath    string
	ReadyTimeout time.Duration // default 2 minutes
}

// Process is a launched engine.
type Process struct {
	URL string // http://127.0.0.1:PORT
	PID int

	cmd  *exec.Cmd
	log  *os.File
	done chan struct{}
	err  error // the process's exit, once done is closed
}

// FreePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// Launch starts the process on a free loopback port and waits until it is
// ready. The process runs in its own process group, so Stop ends
// everything it started. When it fails to get ready, Launch stops it and
// returns an error carrying the last lines of its log.
func Launch(ctx context.Context, o LaunchOptions) (*Process, error) {
	if len(o.Argv) == 0 {
		return nil, errors.New("engine: launch: empty command")
	}
	port, err := FreePort()
	if err != nil {
		return nil, fmt.Errorf("engine: launch: %w", err)
	}
	argv := make([]string, len(o.Argv))
	for i, a := range o.Argv {
		a = strings.ReplaceAll(a, "{port}", strconv.Itoa(port))
		argv[i] = strings.ReplaceAll(a, "{host}", "127.0.0.1")
	}
	logf, err := os.Create(o.LogPath)
	if err != nil {
		return nil, fmt.Errorf("engine: launch: %w", err)
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.Env = append(os.Environ(), o.Env...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, fmt.Errorf("engine: launch %s: %w", argv[0], err)
	}
	p := &Process{
		URL: "http://127.0.0.1:" + strconv.Itoa(port), PID: cmd.Process.Pid,
		cmd: cmd, log: logf, done: make(chan struct{}),
	}
	go func() { p.err = cmd.Wait(); close(p.done) }()

	timeout := o.ReadyTimeout
	if timeout <= 0 {
		timeout = 2 * time.Minute
	}
	path := o.ReadyPath
	if path == "" {
		path = "/health"
	}
	if err := p.waitReady(ctx, path, timeout); err != nil {
		p.Stop()
		return nil, fmt.Errorf("engine: launch %s: %w%s", argv[0], err, tail(o.LogPath, 5))
	}
	return p, nil
}

func (p *Process) waitReady(ctx context.Context, path string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	client := &http.Client{Timeout: 2 * time.Second}
	wait := 10 * time.Millisecond
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, p.URL+path, nil)
		if resp, err := client.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-p.done:
			return fmt.Errorf("exited before it was ready (%v)", p.err)
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(wait):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("not ready at %s%s after %s", p.URL, path, timeout)
		}
		wait = min(2*wait, 500*time.Millisecond)
	}
}

// Stop ends the process group: SIGTERM, then SIGKILL after a grace of
// five seconds. It is safe to call more than once.
func (p *Process) Stop() error {
	select {
	case <-p.done:
	default:
		syscall.Kill(-p.PID, syscall.SIGTERM)
		select {
		case <-p.done:
		case <-time.After(5 * time.Second):
			syscall.Kill(-p.PID, syscall.SIGKILL)
			<-p.done
		}
	}
	// Children that outlived the leader still belong to the group.
	syscall.Kill(-p.PID, syscall.SIGKILL)
	p.log.Close()
	return nil
}

// Exited reports whether the process has ended.
func (p *Process) Exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// tail returns the last n lines of a log file, formatted for an error.
func tail(path string, n int) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	var lines []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		lines = append(lines, sc.Text())
		if len(lines) > n {
			lines = lines[1:]
		}
	}
	if len(lines) == 0 {
		return ""
	}
	return "; its log ends: " + strings.Join(lines, " | ")
}
