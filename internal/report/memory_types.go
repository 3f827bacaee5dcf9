package report

// MemoryFigures are one memory scenario's measurements (M1–M6). Memory is
// that of the engine's process tree (the engine and its descendants):
// RSS, peak RSS and PSS from /proc when muaibench knows the engine's PID,
// else the engine's own process_resident_memory_bytes from /metrics;
// GPU memory is the tree's processes' memory on every GPU, from NVML.
type MemoryFigures struct {
	// Source says where the memory figures were read.
	Source       string `json:"source"`
	Quantization string `json:"quantization,omitempty"`
	// Iterations is the number of launches (M1–M3), requests (M4) or
	// leak iterations measured (M6).
	Iterations int `json:"iterations,omitempty"`

	// M1–M3: medians over the launches, read once the engine was ready.
	RSSBytes int64 `json:"rss_bytes,omitempty"`
	PSSBytes int64 `json:"pss_bytes,omitempty"`
	// PeakRSSBytes is the peak RSS: during loading (M1–M3, VmHWM) or
	// during the requests (M4).
	PeakRSSBytes int64 `json:"peak_rss_bytes,omitempty"`
	// ReadySeconds is the median time from launch to ready.
	ReadySeconds float64 `json:"ready_seconds,omitempty"`
	// WeightBytes is the engine's own figure for its weights, when it
	// gives one (the embedded engine's model card).
	WeightBytes int64        `json:"weight_bytes,omitempty"`
	Loads       []LoadSample `json:"loads,omitempty"`

	// M4: memory before the first request and after the last (peak in
	// PeakRSSBytes), and the growth from before to after.
	BeforeRSSBytes int64 `json:"before_rss_bytes,omitempty"`
	AfterRSSBytes  int64 `json:"after_rss_bytes,omitempty"`
	DeltaRSSBytes  int64 `json:"delta_rss_bytes,omitempty"`

	// GPU says "no GPU: <why>" when GPU memory could not be read; the GPU
	// fields are then absent.
	GPU               string `json:"gpu,omitempty"`
	GPUMemoryBytes    int64  `json:"gpu_memory_bytes,omitempty"`
	GPUPeakBytes      int64  `json:"gpu_peak_bytes,omitempty"`
	GPUBeforeBytes    int64  `json:"gpu_before_bytes,omitempty"`
	GPUAfterBytes     int64  `json:"gpu_after_bytes,omitempty"`
	GPUDeviceMaxBytes int64  `json:"gpu_device_max_bytes,omitempty"`

	KV    *KVFigures    `json:"kv_cache,omitempty"` // M5
	Drift *DriftFigures `json:"drift,omitempty"`    // M6
}

// LoadSample is one launch of M1–M3.
type LoadSample struct {
	ReadySeconds   float64 `json:"ready_seconds"`
	RSSBytes       int64   `json:"rss_bytes"`
	PSSBytes       int64   `json:"pss_bytes,omitempty"`
	PeakRSSBytes   int64   `json:"peak_rss_bytes,omitempty"`
	GPUMemoryBytes int64   `json:"gpu_memory_bytes,omitempty"`
}

// KVFigures is M5: the KV cache memory a token takes and what the plan's
// lengths take.
type KVFigures struct {
	BytesPerToken float64 `json:"bytes_per_token"`
	// Estimated is true when the figure comes from the architecture
	// rather than from the engine's metrics.
	Estimated bool `json:"estimated"`
	// Basis says how BytesPerToken was found.
	Basis string `json:"basis"`
	// CapacityBytes is the engine's KV cache pool, when it says.
	CapacityBytes int64      `json:"capacity_bytes,omitempty"`
	Lengths       []KVLength `json:"lengths"`
}

// KVLength is the KV cache memory of one sequence length.
type KVLength struct {
	Tokens int   `json:"tokens"`
	Bytes  int64 `json:"bytes"`
	// Measured is true when the engine reported these bytes while a
	// request of this length ran; else Bytes is BytesPerToken × Tokens.
	Measured bool `json:"measured"`
	// Note says why a length was not measured.
	Note string `json:"note,omitempty"`
}

// DriftFigures is M6: a least-squares line through the memory sampled
// after each iteration, in MB (10⁶ bytes) per hour, with its confidence
// interval from Student's t distribution, and the verdict against the
// plan's thresholds.
type DriftFigures struct {
	// Quantity is the series the line was fitted to.
	Quantity string `json:"quantity"`
	// Warmup is the number of iterations before the samples; it goes
	// past leak_warmup, up to leak_warmup_max, until memory is steady (a
	// line through the last 10 readings rises by less than the acceptable
	// rate). WarmupSteady says whether it got there.
	Warmup          int     `json:"warmup"`
	WarmupSteady    bool    `json:"warmup_steady"`
	DurationSeconds float64 `json:"duration_seconds"`
	SlopeMBPerHour  float64 `json:"slope_mb_per_hour"`
	CILowMBPerHour  float64 `json:"ci_low_mb_per_hour"`
	CIHighMBPerHour float64 `json:"ci_high_mb_per_hour"`
	Level           float64 `json:"level"`
	R2              float64 `json:"r2"`
	StartBytes      int64   `json:"start_bytes"`
	EndBytes        int64   `json:"end_bytes"`
	// TargetMBPerHour and AcceptableMBPerHour are the plan's thresholds.
	TargetMBPerHour     float64 `json:"target_mb_per_hour"`
	AcceptableMBPerHour float64 `json:"acceptable_mb_per_hour"`
	// Verdict is pass (the interval reaches the target and stays under
	// the acceptable rate), acceptable (it grows, but surely under the
	// acceptable rate), fail (surely at or over it) or inconclusive (the
	// interval straddles it: run longer).
	Verdict string `json:"verdict"`
	Reason  string `json:"reason"`
	// GPUSlopeMBPerHour is the same line through GPU memory, when there
	// is a GPU.
	GPUSlopeMBPerHour *float64 `json:"gpu_slope_mb_per_hour,omitempty"`
	// HeapTargetSlopeMBPerHour is the same line through a Go engine's
	// go_memstats_next_gc_bytes (its collector's target, twice the live
	// heap): flat while RSS grows means pages, not objects, accumulate.
	HeapTargetSlopeMBPerHour *float64 `json:"heap_target_slope_mb_per_hour,omitempty"`
}

// Memory definitions, added to a memory result's Definitions.
var MemoryDefinitions = map[string]string{
	"memory":       "memory of the engine's process tree (the engine and every descendant): RSS and peak RSS (VmRSS, VmHWM from /proc/PID/status, summed; the summed peak bounds the tree's peak from above) and PSS (/proc/PID/smaps_rollup); when muaibench does not know the engine's PID, the engine's process_resident_memory_bytes from /metrics",
	"gpu_memory":   "GPU memory held by the engine's process tree on every GPU, from NVML; \"no GPU\" when NVML or a device is missing",
	"load_memory":  "M1–M3: the engine is launched at each quantization (load_iterations times); memory is read once it answers its readiness check; figures are medians; ready time is launch to the first 200 answer",
	"kv_cache":     "M5: KV cache bytes per token, from the engine's metrics (muaibench_kv_cache_bytes_used while one request of known length holds its reserved blocks, or the growth of muaibench_kv_cache_bytes_reserved_total across it) or else estimated as 2 × layers × kv heads × head size × bytes per value",
	"memory_drift": "M6: memory sampled after each iteration (one request each); the warm-up runs leak_warmup iterations, then on (up to leak_warmup_max) until a line through the last 10 readings rises by less than the acceptable rate, since a garbage-collected engine first grows to its collector's target; a least-squares line through the samples after the warm-up, in MB (10⁶ bytes) per hour, with a 95% confidence interval from Student's t distribution on n−2 degrees of freedom",
}
