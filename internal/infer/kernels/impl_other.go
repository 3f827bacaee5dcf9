//go:build !amd64

package kernels

func simdImpls() []*impl { return nil }
