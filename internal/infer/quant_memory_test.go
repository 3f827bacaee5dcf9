package infer

import (
	"os"
	"testing"
)

// TestQuantizedMemory loads synthetic gpt2 at FP32 and INT8, each in a
// child process, and checks that the process RSS after load shrinks by
// about what the weights do: the INT8 conversion keeps no FP32 copy.
func TestQuantizedMemory(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector's shadow memory inflates RSS")
	}
	if testing.Short() {
		t.Skip("loads gpt2 twice in child processes")
	}
	if _, err := os.Stat("/proc/self/status"); err != nil {
		t.Skip("no /proc/self/status")
	}
	w32, _, hwm32, rss32, _ := memoryInChild(t, "fp32")
	w8, kv, hwm8, rss8, secs := memoryInChild(t, "int8")
	t.Logf("fp32: weights %.1f MiB, VmRSS %.1f MiB, VmHWM %.1f MiB; int8: weights %.1f MiB, VmRSS %.1f MiB, VmHWM %.1f MiB, load %.2fs",
		mib(w32), mib(rss32), mib(hwm32), mib(w8), mib(rss8), mib(hwm8), secs)
	saved, want := rss32-rss8, w32-w8
	if saved < want*85/100 || saved > want*115/100 {
		t.Errorf("got VmRSS fp32 − int8 = %.1f MiB, want the weights' %.1f MiB within 15%%", mib(saved), mib(want))
	}
	// The load holds the converted model and, per core, one FP32 tensor
	// of scratch (at most 9 MiB for gpt2), never the FP32 model.
	if limit := w8 + kv + w32/4; hwm8 > limit {
		t.Errorf("got int8 peak RSS %.1f MiB, want <= int8 weights + KV + ¼ of fp32 weights = %.1f MiB", mib(hwm8), mib(limit))
	}
}
