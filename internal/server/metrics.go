package server

import (
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/muaibench/muaibench/internal/infer/sched"
)

// metrics is the server's Prometheus registry: scheduler numbers read at
// scrape time, histograms fed as steps and requests finish, and the Go
// runtime and process collectors.
type metrics struct {
	reg         *prometheus.Registry
	stepSeconds *prometheus.HistogramVec
	batchSeqs   *prometheus.HistogramVec
	batchTokens *prometheus.HistogramVec
	ttft        *prometheus.HistogramVec
	e2e         *prometheus.HistogramVec
	requests    *prometheus.CounterVec
}

var modelLabel = []string{"model"}

func newMetrics(s *Server) *metrics {
	m := &metrics{
		reg: prometheus.NewRegistry(),
		stepSeconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "muaibench_step_seconds",
			Help:    "Time of one scheduler step (one forward pass over the batch).",
			Buckets: prometheus.ExponentialBuckets(0.0005, 2, 16),
		}, modelLabel),
		batchSeqs: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "muaibench_batch_size",
			Help:    "Sequences in one scheduler step.",
			Buckets: []float64{1, 2, 4, 8, 16, 32, 64, 128, 256},
		}, modelLabel),
		batchTokens: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "muaibench_batch_tokens",
			Help:    "Tokens (prefill and decode) in one scheduler step.",
			Buckets: prometheus.ExponentialBuckets(1, 2, 13),
		}, modelLabel),
		ttft: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "muaibench_time_to_first_token_seconds",
			Help:    "Time from request arrival to its first generated token.",
			Buckets: prometheus.ExponentialBuckets(0.001, 2, 16),
		}, modelLabel),
		e2e: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "muaibench_e2e_request_latency_seconds",
			Help:    "Time from request arrival to its end.",
			Buckets: prometheus.ExponentialBuckets(0.001, 2, 18),
		}, modelLabel),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "muaibench_requests_total",
			Help: "Requests ended, by finish reason (stop, length, abort, error).",
		}, []string{"model", "finished_reason"}),
	}
	m.reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.stepSeconds, m.batchSeqs, m.batchTokens, m.ttft, m.e2e, m.requests,
		schedCollector{s},
	)
	return m
}

func (m *metrics) handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}

// stepObserver returns the scheduler hook that feeds one model's step
// histograms.
func (m *metrics) stepObserver(model string) func(sched.StepInfo) {
	step := m.stepSeconds.WithLabelValues(model)
	seqs := m.batchSeqs.WithLabelValues(model)
	tokens := m.batchTokens.WithLabelValues(model)
	return func(si sched.StepInfo) {
		step.Observe(si.Duration.Seconds())
		seqs.Observe(float64(si.Seqs))
		tokens.Observe(float64(si.Tokens))
	}
}

func (m *metrics) firstToken(j *job) {
	m.ttft.WithLabelValues(j.m.name).Observe(time.Since(j.start).Seconds())
}

// request records the end of one choice.
func (m *metrics) request(j *job, finish string) {
	m.requests.WithLabelValues(j.m.name, finish).Inc()
	m.e2e.WithLabelValues(j.m.name).Observe(time.Since(j.start).Seconds())
}

var (
	descRunning = prometheus.NewDesc("muaibench_requests_running",
		"Requests in the running batch.", modelLabel, nil)
	descWaiting = prometheus.NewDesc("muaibench_requests_waiting",
		"Requests queued for admission.", modelLabel, nil)
	descPrompt = prometheus.NewDesc("muaibench_prompt_tokens_total",
		"Prompt tokens prefilled.", modelLabel, nil)
	descGen = prometheus.NewDesc("muaibench_generation_tokens_total",
		"Tokens generated.", modelLabel, nil)
	descSteps = prometheus.NewDesc("muaibench_steps_total",
		"Scheduler steps run.", modelLabel, nil)
	descKVUsed = prometheus.NewDesc("muaibench_kv_cache_bytes_used",
		"KV cache bytes held by requests.", modelLabel, nil)
	descKVReserved = prometheus.NewDesc("muaibench_kv_cache_bytes_reserved_total",
		"KV cache bytes reserved by requests at admission.", modelLabel, nil)
	descKVCap = prometheus.NewDesc("muaibench_kv_cache_bytes_capacity",
		"KV cache pool size in bytes.", modelLabel, nil)
	descKVRatio = prometheus.NewDesc("muaibench_kv_cache_usage_ratio",
		"KV cache bytes used over capacity (0 to 1).", modelLabel, nil)
	descWeightBytes = prometheus.NewDesc("muaibench_weight_bytes",
		"Resident size of the model's weights in their stored format.", append(modelLabel, "quantization"), nil)
	descMaxSeqs = prometheus.NewDesc("muaibench_max_seqs",
		"Most sequences in one step, as configured.", append(modelLabel, "batching"), nil)
)

// schedCollector reads every model's scheduler at scrape time.
type schedCollector struct{ s *Server }

func (c schedCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descRunning, descWaiting, descPrompt, descGen, descSteps,
		descKVUsed, descKVReserved, descKVCap, descKVRatio, descMaxSeqs, descWeightBytes} {
		ch <- d
	}
}

func (c schedCollector) Collect(ch chan<- prometheus.Metric) {
	for _, m := range c.s.order {
		st := m.sched.Stats()
		o := m.sched.Options()
		g := func(d *prometheus.Desc, t prometheus.ValueType, v float64) {
			ch <- prometheus.MustNewConstMetric(d, t, v, m.name)
		}
		g(descRunning, prometheus.GaugeValue, float64(st.Running))
		g(descWaiting, prometheus.GaugeValue, float64(st.Waiting))
		g(descPrompt, prometheus.CounterValue, float64(st.PromptTokens))
		g(descGen, prometheus.CounterValue, float64(st.GenerationTokens))
		g(descSteps, prometheus.CounterValue, float64(st.Steps))
		g(descKVUsed, prometheus.GaugeValue, float64(st.KVUsedBytes))
		g(descKVReserved, prometheus.CounterValue, float64(st.KVReservedBytes))
		g(descKVCap, prometheus.GaugeValue, float64(st.KVCapacityBytes))
		ratio := 0.0
		if st.KVCapacityBytes > 0 {
			ratio = float64(st.KVUsedBytes) / float64(st.KVCapacityBytes)
		}
		g(descKVRatio, prometheus.GaugeValue, ratio)
		ch <- prometheus.MustNewConstMetric(descMaxSeqs, prometheus.GaugeValue, float64(o.MaxSeqs),
			m.name, strconv.FormatBool(!o.NoBatching))
		ch <- prometheus.MustNewConstMetric(descWeightBytes, prometheus.GaugeValue, float64(m.info.WeightBytes),
			m.name, m.info.Quantization)
	}
}
