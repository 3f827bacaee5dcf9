//go:build !linux || !cgo

package sysinfo

func gpus() GPUInfo {
	return GPUInfo{Reason: "no GPU: built without cgo, so NVML cannot be loaded"}
}
