//go:build linux && (amd64 || arm64)

package kernels

import (
	"runtime"
	"sync"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Buffers from hugeMin up live in an arena of 2 MiB-aligned mappings backed
// by transparent huge pages where the kernel allows. Decode streams every
// weight once per token; through 4 KiB pages that costs a TLB miss, under
// virtualisation a two-level page walk, every 4 KiB: a 768×768 matrix in
// small pages streamed at half the speed of one in huge pages. Small
// matrices share chunks so that no matrix ends in a partial huge page.
const (
	hugeMin  = 256 << 10
	hugePage = 2 << 20
	chunkMin = 64 << 20 // arena chunk size; larger buffers get their own
)

var arena struct {
	mu  sync.Mutex
	cur *chunk // the chunk small buffers are cut from
}

// chunk is one mapping of the arena, unmapped when its last buffer goes.
type chunk struct {
	base, size, used uintptr
	live             int
}

// allocFloats returns a zeroed buffer of n floats that stays mapped while
// owner is reachable or until free is called, whichever comes first.
func allocFloats[T any](owner *T, n int) (buf []float32, free func()) {
	size := (uintptr(n)*4 + 63) &^ 63
	if size < hugeMin {
		return make([]float32, n), func() {}
	}
	arena.mu.Lock()
	c := arena.cur
	if size > chunkMin/4 || c == nil || c.size-c.used < size {
		c = mapChunk(max(chunkMin, (size+hugePage-1)&^(hugePage-1)))
		if c == nil {
			arena.mu.Unlock()
			return make([]float32, n), func() {}
		}
		if size <= chunkMin/4 {
			if old := arena.cur; old != nil && old.live == 0 {
				old.unmap()
			}
			arena.cur = c
		}
	}
	start := c.base + c.used
	c.used += size
	c.live++
	arena.mu.Unlock()

	r := &release{c: c}
	r.cleanup = runtime.AddCleanup(owner, (*release).run, r)
	// The mapping is not Go memory: converting its address is safe.
	p := *(*unsafe.Pointer)(unsafe.Pointer(&start))
	return unsafe.Slice((*float32)(p), n), func() {
		r.cleanup.Stop()
		r.run()
	}
}

// release gives one buffer back to its chunk, once.
type release struct {
	once    sync.Once
	c       *chunk
	cleanup runtime.Cleanup
}

func (r *release) run() {
	r.once.Do(func() {
		arena.mu.Lock()
		defer arena.mu.Unlock()
		r.c.live--
		if r.c.live == 0 {
			if arena.cur == r.c {
				arena.cur = nil
			}
			r.c.unmap()
		}
	})
}

// mapChunk maps size bytes (a multiple of 2 MiB) at a 2 MiB boundary, so
// that all of it can be huge pages, or returns nil.
func mapChunk(size uintptr) *chunk {
	base, _, errno := unix.Syscall6(unix.SYS_MMAP, 0, size+hugePage,
		unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS, ^uintptr(0), 0)
	if errno != 0 {
		return nil
	}
	start := (base + hugePage - 1) &^ (hugePage - 1)
	if start > base {
		unix.Syscall(unix.SYS_MUNMAP, base, start-base, 0)
	}
	if end := base + size + hugePage; end > start+size {
		unix.Syscall(unix.SYS_MUNMAP, start+size, end-(start+size), 0)
	}
	unix.Syscall(unix.SYS_MADVISE, start, size, unix.MADV_HUGEPAGE) // best effort
	return &chunk{base: start, size: size}
}

func (c *chunk) unmap() { unix.Syscall(unix.SYS_MUNMAP, c.base, c.size, 0) }
