// Package sysinfo describes the machine a benchmark ran on: CPU, memory,
// operating system, Go runtime and GPUs.
package sysinfo

import (
	"bufio"
	"os"
	"runtime"
	"strconv"
	"strings"
	"syscall"
)

// Info is the machine a result was measured on.
type Info struct {
	Hostname    string   `json:"hostname"`
	OS          string   `json:"os"`
	Kernel      string   `json:"kernel,omitempty"`
	Arch        string   `json:"arch"`
	CPUModel    string   `json:"cpu_model"`
	CPUCores    int      `json:"cpu_cores"`
	CPUFeatures []string `json:"cpu_features,omitempty"`
	MemoryBytes int64    `json:"memory_bytes"`
	GoVersion   string   `json:"go_version"`
	GOMAXPROCS  int      `json:"gomaxprocs"`
	GPU         GPUInfo  `json:"gpu"`
}

// GPUInfo is what NVML says about the GPUs, or why it says nothing.
type GPUInfo struct {
	// Available is false when there is no NVIDIA driver or no device.
	Available bool `json:"available"`
	// Reason says why Available is false ("no GPU: ...").
	Reason        string   `json:"reason,omitempty"`
	DriverVersion string   `json:"driver_version,omitempty"`
	CUDAVersion   string   `json:"cuda_version,omitempty"`
	Devices       []Device `json:"devices,omitempty"`
}

// Device is one GPU.
type Device struct {
	Index       int    `json:"index"`
	Name        string `json:"name"`
	UUID        string `json:"uuid,omitempty"`
	MemoryTotal int64  `json:"memory_total_bytes"`
	MemoryUsed  int64  `json:"memory_used_bytes"`
}

// Collect reads the machine's description. It never fails: what cannot be
// read is left empty.
func Collect() Info {
	in := Info{
		OS:         runtime.GOOS,
		Arch:       runtime.GOARCH,
		CPUCores:   runtime.NumCPU(),
		GoVersion:  runtime.Version(),
		GOMAXPROCS: runtime.GOMAXPROCS(0),
	}
	in.Hostname, _ = os.Hostname()
	if name := osRelease(); name != "" {
		in.OS = name
	}
	var u syscall.Utsname
	if syscall.Uname(&u) == nil {
		in.Kernel = utsString(u.Release[:])
	}
	in.CPUModel, in.CPUFeatures = cpuinfo()
	in.MemoryBytes = memTotal()
	in.GPU = gpus()
	return in
}

func utsString(b []int8) string {
	var sb strings.Builder
	for _, c := range b {
		if c == 0 {
			break
		}
		sb.WriteByte(byte(c))
	}
	return sb.String()
}

func osRelease() string {
	data, err := os.ReadFile("/etc/os-release")
	if err != nil {
		return ""
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "PRETTY_NAME="); ok {
			return strings.Trim(v, `"`)
		}
	}
	return ""
}

// interesting are the CPU flags that matter to the embedded engine.
var interesting = []string{"avx2", "fma", "avx512f", "avx512bw", "avx512vl", "avx512_vnni", "avx512_bf16", "amx_tile", "f16c"}

func cpuinfo() (model string, features []string) {
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return "", nil
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	var flags string
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		switch {
		case k == "model name" && model == "":
			model = v
		case k == "flags" && flags == "":
			flags = " " + v + " "
		}
	}
	for _, fl := range interesting {
		if strings.Contains(flags, " "+fl+" ") {
			features = append(features, fl)
		}
	}
	return model, features
}

func memTotal() int64 {
	data, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "MemTotal:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return kb * 1024
		}
	}
	return 0
}
