package sysinfo

import (
	"runtime"
	"testing"
)

func TestCollect(t *testing.T) {
	in := Collect()
	if in.CPUCores != runtime.NumCPU() || in.GoVersion != runtime.Version() {
		t.Errorf("got cores %d go %q, want %d %q", in.CPUCores, in.GoVersion, runtime.NumCPU(), runtime.Version())
	}
	if runtime.GOOS == "linux" && (in.MemoryBytes <= 0 || in.CPUModel == "") {
		t.Errorf("got memory %d cpu %q, want both read from /proc", in.MemoryBytes, in.CPUModel)
	}
	if !in.GPU.Available && in.GPU.Reason == "" {
		t.Error("no GPU and no reason given")
	}
}
