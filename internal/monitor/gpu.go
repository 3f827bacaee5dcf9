package monitor

import "fmt"

// Series names of the GPU sampler; device series carry the device index.
const GPUProcessMemory = "gpu_process_memory_bytes"

// GPUMemoryUsed names device i's memory-in-use series.
func GPUMemoryUsed(i int) string { return fmt.Sprintf("gpu%d_memory_used_bytes", i) }

// GPUUtilization names device i's utilisation series (percent of time a
// kernel ran).
func GPUUtilization(i int) string { return fmt.Sprintf("gpu%d_utilization_percent", i) }

// GPUPower names device i's power draw series.
func GPUPower(i int) string { return fmt.Sprintf("gpu%d_power_watts", i) }
