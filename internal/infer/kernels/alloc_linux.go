//go:build linux

package kernels

import (
	"runtime"
	"sync"
	"unsafe"

	"golang.org/x/sys/unix"
)

// hugeMin is the size from which float buffers get a mapping of their own,
// backed by transparent huge pages where the kernel allows. Decode streams
// every weight once per token; through 4 KiB pages that costs a TLB miss,
// and under virtualisation a two-level page walk, every 4 KiB, which held a
// 768×768 matrix to about 60% of the read bandwidth.
const hugeMin = 1 << 20

const hugePage = 2 << 20

// allocFloats returns a zeroed buffer of n floats that stays mapped while
// owner is reachable or until free is called, whichever comes first. Large buffers start on a 2 MiB boundary and end
// exactly at their size, so every whole 2 MiB of them can be a huge page
// while the tail stays in small pages and nothing past the size is
// resident.
func allocFloats[T any](owner *T, n int) (buf []float32, free func()) {
	size := uintptr(n) * 4
	if size < hugeMin {
		return make([]float32, n), func() {}
	}
	base, _, errno := unix.Syscall6(unix.SYS_MMAP, 0, size+hugePage,
		unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS, ^uintptr(0), 0)
	if errno != 0 {
		return make([]float32, n), func() {}
	}
	start := (base + hugePage - 1) &^ (hugePage - 1)
	if start > base {
		unix.Syscall(unix.SYS_MUNMAP, base, start-base, 0)
	}
	if end := base + size + hugePage; end > start+size {
		unix.Syscall(unix.SYS_MUNMAP, start+size, end-(start+size), 0)
	}
	unix.Syscall(unix.SYS_MADVISE, start, size, unix.MADV_HUGEPAGE) // best effort
	unmap := func(r [2]uintptr) { unix.Syscall(unix.SYS_MUNMAP, r[0], r[1], 0) }
	c := runtime.AddCleanup(owner, unmap, [2]uintptr{start, size})
	var once sync.Once
	free = func() {
		once.Do(func() {
			c.Stop()
			unmap([2]uintptr{start, size})
		})
	}
	// The mapping is not Go memory: converting its address is safe.
	p := *(*unsafe.Pointer)(unsafe.Pointer(&start))
	return unsafe.Slice((*float32)(p), n), free
}
