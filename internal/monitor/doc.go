// Package monitor samples resources while a benchmark runs and keeps what
// it samples as time series: the memory of the engine's process tree
// (RSS, peak RSS, PSS, from /proc), GPU memory, utilisation and power
// (NVML), the engine's own Prometheus /metrics, and the Go runtime of the
// benchmark process itself.
//
// A Monitor drives any number of Samplers on an interval from an
// injectable ticker; every point carries its offset from a common start,
// so series line up with the requests of the same run. Trend fits a
// least-squares line to a series, with a confidence interval, for leak
// detection.
package monitor
