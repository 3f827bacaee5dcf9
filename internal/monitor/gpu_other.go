//go:build !linux || !cgo

package monitor

import "context"

// GPU would sample NVIDIA GPUs; without cgo NVML cannot be loaded.
type GPU struct{ PID int }

// OpenGPU always returns nil and the reason in this build.
func OpenGPU(pid int) (*GPU, string) {
	return nil, "no GPU: built without cgo, so NVML cannot be loaded"
}

// Devices is zero.
func (g *GPU) Devices() int { return 0 }

// Name is "gpu".
func (g *GPU) Name() string { return SourceGPU }

// Sample returns nothing.
func (g *GPU) Sample(context.Context) ([]Value, error) { return nil, nil }

// Close does nothing.
func (g *GPU) Close() {}
