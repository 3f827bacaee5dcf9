//go:build amd64

package kernels

// prefetchLines asks for the n bytes from p, a cache line at a time, to
// be brought into cache, and returns without waiting for them.
//
//go:noescape
func prefetchLines(p *byte, n int)
