package monitor

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The test binary doubles as the measured process: with
// MUAIBENCH_MONITOR_CHILD set it acts out a role and never runs the tests.
//
//	alloc:N   touch N MiB, print "ready", then per stdin line: "leak"
//	          touches 1 MiB more, anything else nothing; print "ok" after
//	          each; exit at EOF
//	parent:N  start a child "alloc:N", print "ready" once it is, exit
//	          (taking the child along) at EOF
func TestMain(m *testing.M) {
	role := os.Getenv("MUAIBENCH_MONITOR_CHILD")
	if role == "" {
		os.Exit(m.Run())
	}
	kind, arg, _ := strings.Cut(role, ":")
	n, _ := strconv.Atoi(arg)
	switch kind {
	case "alloc":
		runAllocator(n)
	case "parent":
		child, _ := startChild(fmt.Sprintf("alloc:%d", n))
		fmt.Println("ready")
		bufio.NewReader(os.Stdin).ReadString('\n') // until EOF
		child.stop()
	}
	os.Exit(0)
}

var held [][]byte

// touch maps mib MiB outside the Go heap and writes every page, so the
// resident size grows by exactly that much whatever the garbage collector
// or the race detector's shadow memory do.
func touch(mib int) {
	if mib == 0 {
		return
	}
	b, err := syscall.Mmap(-1, 0, mib<<20, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_PRIVATE|syscall.MAP_ANON)
	if err != nil {
		panic(err)
	}
	for i := 0; i < len(b); i += 4096 {
		b[i] = 1
	}
	held = append(held, b)
}

func runAllocator(mib int) {
	touch(mib)
	fmt.Println("ready")
	sc := bufio.NewScanner(os.Stdin)
	for sc.Scan() {
		if sc.Text() == "leak" {
			touch(1)
		}
		fmt.Println("ok")
	}
}

// child is a running test-binary child with its stdin and stdout.
type child struct {
	cmd *exec.Cmd
	in  *os.File
	out *bufio.Reader
}

func startChild(role string) (*child, error) {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "MUAIBENCH_MONITOR_CHILD="+role, "GOGC=off")
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	c := &child{cmd: cmd, in: stdin.(*os.File), out: bufio.NewReader(stdout)}
	if line, err := c.out.ReadString('\n'); err != nil || line != "ready\n" {
		c.stop()
		return nil, fmt.Errorf("child %s: got %q %v, want ready", role, line, err)
	}
	return c, nil
}

// say sends one command line and waits for the child's answer.
func (c *child) say(cmd string) error {
	if _, err := fmt.Fprintln(c.in, cmd); err != nil {
		return err
	}
	_, err := c.out.ReadString('\n')
	return err
}

func (c *child) stop() {
	c.in.Close()
	done := make(chan struct{})
	go func() { c.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		c.cmd.Process.Kill()
		<-done
	}
}

func mustChild(t *testing.T, role string) *child {
	t.Helper()
	c, err := startChild(role)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.stop)
	return c
}
