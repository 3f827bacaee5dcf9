package metrics

import (
	"sort"
	"time"
)

// SLO is the objectives a request must meet to count towards goodput.
// A zero field is no objective.
type SLO struct {
	TTFT time.Duration
	TPOT time.Duration
	E2E  time.Duration
}

func (s SLO) met(r *Record) bool {
	return r.OK() &&
		(s.TTFT == 0 || r.TTFTMs <= ms(s.TTFT)) &&
		(s.TPOT == 0 || r.TPOTMs <= ms(s.TPOT)) &&
		(s.E2E == 0 || r.E2EMs <= ms(s.E2E))
}

// Summary is the figures of one scenario's measured requests.
type Summary struct {
	Requests  int `json:"requests"`
	Succeeded int `json:"succeeded"`
	Errors    int `json:"errors"`
	// ErrorKinds counts errors by kind; ErrorSamples keeps the first
	// message of each kind.
	ErrorKinds   map[string]int    `json:"error_kinds,omitempty"`
	ErrorSamples map[string]string `json:"error_samples,omitempty"`

	TTFT      Stats `json:"ttft_ms"`
	ITL       Stats `json:"itl_ms"`
	TPOT      Stats `json:"tpot_ms"`
	E2E       Stats `json:"e2e_ms"`
	OutputTPS Stats `json:"output_tokens_per_s"`
	SendLag   Stats `json:"send_lag_ms"`

	PromptTokens int `json:"prompt_tokens"`
	OutputTokens int `json:"output_tokens"`
	// PromptMismatches and OutputMismatches count successful requests
	// whose token counts differ from what was requested.
	PromptMismatches int `json:"prompt_token_mismatches"`
	OutputMismatches int `json:"output_token_mismatches"`
	// UsageMissing counts successful requests the engine sent no usage
	// for (their counts come from the tokenizer).
	UsageMissing int `json:"usage_missing"`

	// WallSeconds is the measured window, first start to last end.
	WallSeconds       float64 `json:"wall_s"`
	RequestThroughput float64 `json:"requests_per_s"`
	OutputThroughput  float64 `json:"output_tokens_per_s_total"`
	TotalThroughput   float64 `json:"total_tokens_per_s"`
	// Goodput is requests per second that met every SLO; GoodRequests
	// counts them.
	Goodput      float64 `json:"goodput_requests_per_s"`
	GoodRequests int     `json:"good_requests"`
}

// Aggregator collects records and summarises them once, at Close.
// It is not safe for concurrent use; feed it from one goroutine.
type Aggregator struct {
	slo                       SLO
	checkPrompt               bool
	ttft, itl, tpot, e2e, tps []float64
	lag                       []float64
	first, last               time.Time
	s                         Summary
}

// NewAggregator returns an aggregator judging goodput by slo. With
// checkPrompt false, prompt token counts are not compared with the
// request (chat templates add tokens the client does not know).
func NewAggregator(slo SLO, checkPrompt bool) *Aggregator {
	return &Aggregator{slo: slo, checkPrompt: checkPrompt}
}

// Add counts one measured record; warm-up records are ignored.
func (a *Aggregator) Add(r *Record) {
	if r.Warmup {
		return
	}
	s := &a.s
	s.Requests++
	end := r.Start.Add(time.Duration(r.E2EMs * float64(time.Millisecond)))
	if a.first.IsZero() || r.Start.Before(a.first) {
		a.first = r.Start
	}
	if end.After(a.last) {
		a.last = end
	}
	a.lag = append(a.lag, r.SendLagMs)
	if !r.OK() {
		s.Errors++
		if s.ErrorKinds == nil {
			s.ErrorKinds, s.ErrorSamples = map[string]int{}, map[string]string{}
		}
		s.ErrorKinds[r.ErrorKind]++
		if _, ok := s.ErrorSamples[r.ErrorKind]; !ok {
			s.ErrorSamples[r.ErrorKind] = r.Error
		}
		return
	}
	s.Succeeded++
	s.PromptTokens += r.PromptTokens
	s.OutputTokens += r.OutputTokens
	if r.TokenSource != "usage" {
		s.UsageMissing++
	}
	if r.RequestedOutputTokens > 0 && r.OutputTokens != r.RequestedOutputTokens {
		s.OutputMismatches++
	}
	if a.checkPrompt && r.TokenSource == "usage" && r.RequestedPromptTokens > 0 && r.PromptTokens != r.RequestedPromptTokens {
		s.PromptMismatches++
	}
	if r.Chunks > 0 {
		a.ttft = append(a.ttft, r.TTFTMs)
	}
	a.itl = append(a.itl, r.ITLMs...)
	if r.OutputTokens > 1 && r.Chunks > 0 {
		a.tpot = append(a.tpot, r.TPOTMs)
	}
	a.e2e = append(a.e2e, r.E2EMs)
	a.tps = append(a.tps, r.OutputTPS)
	if a.slo.met(r) {
		s.GoodRequests++
	}
}

// Close computes the summary.
func (a *Aggregator) Close() Summary {
	s := a.s
	s.TTFT = Summarize(a.ttft)
	s.ITL = Summarize(a.itl)
	s.TPOT = Summarize(a.tpot)
	s.E2E = Summarize(a.e2e)
	s.OutputTPS = Summarize(a.tps)
	s.SendLag = Summarize(a.lag)
	if !a.first.IsZero() {
		s.WallSeconds = a.last.Sub(a.first).Seconds()
	}
	if s.WallSeconds > 0 {
		s.RequestThroughput = float64(s.Succeeded) / s.WallSeconds
		s.OutputThroughput = float64(s.OutputTokens) / s.WallSeconds
		s.TotalThroughput = float64(s.OutputTokens+s.PromptTokens) / s.WallSeconds
		s.Goodput = float64(s.GoodRequests) / s.WallSeconds
	}
	return s
}

// ErrorKindsSorted returns the error kinds by count, most first.
func (s *Summary) ErrorKindsSorted() []string {
	kinds := make([]string, 0, len(s.ErrorKinds))
	for k := range s.ErrorKinds {
		kinds = append(kinds, k)
	}
	sort.Slice(kinds, func(i, j int) bool {
		if s.ErrorKinds[kinds[i]] != s.ErrorKinds[kinds[j]] {
			return s.ErrorKinds[kinds[i]] > s.ErrorKinds[kinds[j]]
		}
		return kinds[i] < kinds[j]
	})
	return kinds
}
