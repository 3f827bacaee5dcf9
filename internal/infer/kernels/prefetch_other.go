//go:build !amd64

package kernels

// prefetchLines is a no-op where the kernels have no assembly.
func prefetchLines(p *byte, n int) {}
