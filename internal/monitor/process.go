package monitor

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
)

// procRoot is where the process file system is mounted; tests may point
// it at a fake tree.
var procRoot = "/proc"

// TreeMemory is the memory of a process and all its descendants.
type TreeMemory struct {
	// PIDs are the processes of the tree, the root first.
	PIDs []int
	// RSS is the sum of the processes' resident set sizes (VmRSS).
	RSS int64
	// PeakRSS is the sum of the processes' peak resident set sizes
	// (VmHWM); with several processes it bounds the tree's true peak
	// from above.
	PeakRSS int64
	// PSS is the proportional set size (smaps_rollup): shared pages are
	// divided among the processes that map them, so trees whose
	// processes share memory are not counted twice. Zero when PSSKnown is
	// false (a kernel without smaps_rollup, or no permission).
	PSS      int64
	PSSKnown bool
}

// ErrNoProcess is returned when the tree's root process does not exist.
var ErrNoProcess = errors.New("no such process")

// Tree returns pid and its descendants, pid first, found by reading the
// parent of every process in /proc.
func Tree(pid int) ([]int, error) {
	if _, err := os.Stat(fmt.Sprintf("%s/%d", procRoot, pid)); err != nil {
		return nil, fmt.Errorf("monitor: process %d: %w", pid, ErrNoProcess)
	}
	entries, err := os.ReadDir(procRoot)
	if err != nil {
		return nil, fmt.Errorf("monitor: %w", err)
	}
	children := map[int][]int{}
	for _, e := range entries {
		p, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		pp, ok := ppid(p)
		if ok {
			children[pp] = append(children[pp], p)
		}
	}
	tree := []int{pid}
	for i := 0; i < len(tree); i++ {
		kids := children[tree[i]]
		slices.Sort(kids)
		tree = append(tree, kids...)
	}
	return tree, nil
}

// ppid reads a process's parent from /proc/PID/stat; the command name
// there may hold spaces and parentheses, so fields are counted after the
// last ')'.
func ppid(pid int) (int, bool) {
	data, err := os.ReadFile(fmt.Sprintf("%s/%d/stat", procRoot, pid))
	if err != nil {
		return 0, false
	}
	i := bytes.LastIndexByte(data, ')')
	if i < 0 {
		return 0, false
	}
	f := strings.Fields(string(data[i+1:]))
	if len(f) < 2 || f[0] == "Z" || f[0] == "X" { // zombies hold no memory
		return 0, false
	}
	pp, err := strconv.Atoi(f[1])
	return pp, err == nil
}

// ReadTree reads the memory of pid's process tree. Processes that end
// while it reads are left out.
func ReadTree(pid int) (TreeMemory, error) {
	pids, err := Tree(pid)
	if err != nil {
		return TreeMemory{}, err
	}
	tm := TreeMemory{PSSKnown: true}
	for _, p := range pids {
		st, err := readStatus(p)
		if err != nil {
			if p == pid {
				return TreeMemory{}, fmt.Errorf("monitor: process %d: %w", pid, err)
			}
			continue
		}
		tm.PIDs = append(tm.PIDs, p)
		tm.RSS += st["VmRSS"]
		tm.PeakRSS += st["VmHWM"]
		if pss, ok := readPSS(p); ok {
			tm.PSS += pss
		} else {
			tm.PSSKnown = false
		}
	}
	if !tm.PSSKnown {
		tm.PSS = 0
	}
	return tm, nil
}

// readStatus reads the kB fields of /proc/PID/status, in bytes.
func readStatus(pid int) (map[string]int64, error) {
	return readKB(fmt.Sprintf("%s/%d/status", procRoot, pid), "VmRSS", "VmHWM")
}

// readPSS reads Pss from /proc/PID/smaps_rollup, in bytes.
func readPSS(pid int) (int64, bool) {
	m, err := readKB(fmt.Sprintf("%s/%d/smaps_rollup", procRoot, pid), "Pss")
	if err != nil {
		return 0, false
	}
	v, ok := m["Pss"]
	return v, ok
}

// readKB reads "Key:   123 kB" lines of a /proc file, keeping the keys
// asked for, converted to bytes.
func readKB(path string, keys ...string) (map[string]int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	out := make(map[string]int64, len(keys))
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok || !slices.Contains(keys, k) {
			continue
		}
		if _, dup := out[k]; dup { // smaps_rollup has only one; be safe
			continue
		}
		kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
		if err != nil {
			return nil, fmt.Errorf("%s: %s: %w", path, k, err)
		}
		out[k] = kb * 1024
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: none of %v", path, keys)
	}
	return out, nil
}

// ResetPeak resets the peak RSS (VmHWM) of every process of pid's tree to
// its current RSS, by writing 5 to /proc/PID/clear_refs, so that a later
// PeakRSS is the peak since the reset. It reports false when the kernel
// or the permissions do not allow it.
func ResetPeak(pid int) bool {
	pids, err := Tree(pid)
	if err != nil {
		return false
	}
	ok := true
	for _, p := range pids {
		if os.WriteFile(fmt.Sprintf("%s/%d/clear_refs", procRoot, p), []byte("5"), 0) != nil {
			ok = false
		}
	}
	return ok
}

// Series names of the process sampler.
const (
	ProcessRSS       = "process_rss_bytes"
	ProcessPeakRSS   = "process_peak_rss_bytes"
	ProcessPSS       = "process_pss_bytes"
	ProcessProcesses = "process_count"
)

// Process samples the memory of a process tree.
type Process struct {
	PID int
}

// Name is "process".
func (p Process) Name() string { return SourceProcess }

// Sample reads the tree's RSS, peak RSS, PSS (when readable) and the
// number of processes.
func (p Process) Sample(context.Context) ([]Value, error) {
	tm, err := ReadTree(p.PID)
	if err != nil {
		return nil, err
	}
	vals := []Value{
		{ProcessRSS, "bytes", SourceProcess, float64(tm.RSS)},
		{ProcessPeakRSS, "bytes", SourceProcess, float64(tm.PeakRSS)},
	}
	if tm.PSSKnown {
		vals = append(vals, Value{ProcessPSS, "bytes", SourceProcess, float64(tm.PSS)})
	}
	return append(vals, Value{ProcessProcesses, "count", SourceProcess, float64(len(tm.PIDs))}), nil
}
