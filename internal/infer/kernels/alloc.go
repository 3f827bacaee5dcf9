package kernels

// AllocFloats returns a zeroed buffer of n floats for data that lives as
// long as owner: large buffers are mapped outside the Go heap where the
// platform allows (huge-page-backed on Linux), so they neither count
// towards the garbage collector's heap goal nor get scanned. The buffer is
// released when owner becomes unreachable or free is called, whichever
// comes first; it must not be used after that.
func AllocFloats[T any](owner *T, n int) (buf []float32, free func()) {
	return allocFloats(owner, n)
}
