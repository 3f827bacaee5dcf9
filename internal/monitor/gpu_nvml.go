//go:build linux && cgo

package monitor

import (
	"context"
	"fmt"
	"sync"

	"github.com/NVIDIA/go-nvml/pkg/nvml"
)

// GPU samples NVIDIA GPUs through NVML: per device the memory in use,
// utilisation and power, and the GPU memory held by a process tree.
type GPU struct {
	// PID roots the process tree whose GPU memory is summed; 0 samples
	// the devices only.
	PID int

	devices []nvml.Device
	once    sync.Once
}

// OpenGPU initialises NVML. With no library, no driver or no device it
// returns nil and the reason, which starts with "no GPU". Every NVML call
// is gated on Init's success: NVML calls without a loaded library abort
// the process.
func OpenGPU(pid int) (*GPU, string) {
	if ret := nvml.Init(); ret != nvml.SUCCESS {
		return nil, "no GPU: NVML not available (" + nvml.ErrorString(ret) + ")"
	}
	n, ret := nvml.DeviceGetCount()
	if ret != nvml.SUCCESS || n == 0 {
		nvml.Shutdown()
		return nil, "no GPU: NVML found no device"
	}
	g := &GPU{PID: pid}
	for i := 0; i < n; i++ {
		d, ret := nvml.DeviceGetHandleByIndex(i)
		if ret != nvml.SUCCESS {
			continue
		}
		g.devices = append(g.devices, d)
	}
	if len(g.devices) == 0 {
		nvml.Shutdown()
		return nil, "no GPU: NVML could open no device"
	}
	return g, ""
}

// Devices is the number of devices sampled.
func (g *GPU) Devices() int { return len(g.devices) }

// Name is "gpu".
func (g *GPU) Name() string { return SourceGPU }

// Sample reads every device, and the tree's processes' GPU memory.
func (g *GPU) Sample(context.Context) ([]Value, error) {
	var vals []Value
	var pids map[uint32]bool
	if g.PID > 0 {
		tree, err := Tree(g.PID)
		if err != nil {
			return nil, err
		}
		pids = map[uint32]bool{}
		for _, p := range tree {
			pids[uint32(p)] = true
		}
	}
	var procMem float64
	for i, d := range g.devices {
		if m, ret := d.GetMemoryInfo(); ret == nvml.SUCCESS {
			vals = append(vals, Value{GPUMemoryUsed(i), "bytes", SourceGPU, float64(m.Used)})
		}
		if u, ret := d.GetUtilizationRates(); ret == nvml.SUCCESS {
			vals = append(vals, Value{GPUUtilization(i), "percent", SourceGPU, float64(u.Gpu)})
		}
		if mw, ret := d.GetPowerUsage(); ret == nvml.SUCCESS {
			vals = append(vals, Value{GPUPower(i), "watts", SourceGPU, float64(mw) / 1000})
		}
		if pids == nil {
			continue
		}
		seen := map[uint32]bool{}
		for _, get := range []func() ([]nvml.ProcessInfo, nvml.Return){d.GetComputeRunningProcesses, d.GetGraphicsRunningProcesses} {
			procs, ret := get()
			if ret != nvml.SUCCESS {
				continue
			}
			for _, p := range procs {
				if pids[p.Pid] && !seen[p.Pid] {
					seen[p.Pid] = true
					procMem += float64(p.UsedGpuMemory)
				}
			}
		}
	}
	if pids != nil {
		vals = append(vals, Value{GPUProcessMemory, "bytes", SourceGPU, procMem})
	}
	if len(vals) == 0 {
		return nil, fmt.Errorf("monitor: NVML answered no query")
	}
	return vals, nil
}

// Close shuts NVML down; safe to call more than once.
func (g *GPU) Close() {
	g.once.Do(func() { nvml.Shutdown() })
}
