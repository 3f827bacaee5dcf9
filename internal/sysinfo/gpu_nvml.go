//go:build linux && cgo

package sysinfo

import (
	"fmt"

	"github.com/NVIDIA/go-nvml/pkg/nvml"
)

// gpus asks NVML. Every call after Init is gated on Init's success: NVML
// calls without a loaded library abort the process.
func gpus() GPUInfo {
	if ret := nvml.Init(); ret != nvml.SUCCESS {
		return GPUInfo{Reason: "no GPU: NVML not available (" + nvml.ErrorString(ret) + ")"}
	}
	defer nvml.Shutdown()
	g := GPUInfo{}
	if v, ret := nvml.SystemGetDriverVersion(); ret == nvml.SUCCESS {
		g.DriverVersion = v
	}
	if v, ret := nvml.SystemGetCudaDriverVersion(); ret == nvml.SUCCESS {
		g.CUDAVersion = fmt.Sprintf("%d.%d", v/1000, v%1000/10)
	}
	n, ret := nvml.DeviceGetCount()
	if ret != nvml.SUCCESS || n == 0 {
		g.Reason = "no GPU: NVML found no device"
		return g
	}
	for i := 0; i < n; i++ {
		d, ret := nvml.DeviceGetHandleByIndex(i)
		if ret != nvml.SUCCESS {
			continue
		}
		dev := Device{Index: i}
		dev.Name, _ = d.GetName()
		dev.UUID, _ = d.GetUUID()
		if m, ret := d.GetMemoryInfo(); ret == nvml.SUCCESS {
			dev.MemoryTotal, dev.MemoryUsed = int64(m.Total), int64(m.Used)
		}
		g.Devices = append(g.Devices, dev)
	}
	g.Available = len(g.Devices) > 0
	return g
}
