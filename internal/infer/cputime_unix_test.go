//go:build unix

package infer

import (
	"syscall"
	"time"
)

// processCPU is the CPU time this process has used, every thread
// included: on a machine shared with other work it counts what the
// benchmark did, not the time it waited for a core.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
