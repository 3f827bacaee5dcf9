package server

import (
	"encoding/json"
	"net/http"

	"github.com/muaibench/muaibench/internal/infer"
)

// modelCard is this server's description of a model in /v1/models.
type modelCard struct {
	Shape         infer.Shape `json:"shape"`
	Params        int64       `json:"params"`
	Weights       string      `json:"weights"`
	WeightsSHA256 string      `json:"weights_sha256"`
	WeightBytes   int64       `json:"weight_bytes"`
	Quantization  string      `json:"quantization"`
	// Precision says which weights stay in higher precision than
	// Quantization.
	Precision      string `json:"weight_precision"`
	Tokenizer      string `json:"tokenizer"`
	KVCacheDtype   string `json:"kv_cache_dtype"`
	KVCacheBytes   int64  `json:"kv_cache_bytes"`
	BlockTokens    int    `json:"kv_block_tokens"`
	MaxSeqs        int    `json:"max_seqs"`
	MaxBatchTokens int    `json:"max_batch_tokens"`
	Batching       bool   `json:"batching"`
}

type modelEntry struct {
	ID          string    `json:"id"`
	Object      string    `json:"object"`
	Created     int64     `json:"created"`
	OwnedBy     string    `json:"owned_by"`
	MaxModelLen int       `json:"max_model_len"`
	Card        modelCard `json:"card"`
}

func (m *model) card() modelCard {
	o := m.sched.Options()
	return modelCard{
		Shape:          m.info.Shape,
		Params:         m.info.Params,
		Weights:        m.info.Weights,
		WeightsSHA256:  m.info.WeightsSHA256,
		WeightBytes:    m.info.WeightBytes,
		Quantization:   m.info.Quantization,
		Precision:      m.info.Precision,
		Tokenizer:      m.tok.Name(),
		KVCacheDtype:   m.sched.Pool().Format().String(),
		KVCacheBytes:   m.sched.Pool().CapacityBytes(),
		BlockTokens:    o.BlockTokens,
		MaxSeqs:        o.MaxSeqs,
		MaxBatchTokens: o.MaxBatchTokens,
		Batching:       !o.NoBatching,
	}
}

func (s *Server) handleModels(w http.ResponseWriter, r *http.Request) {
	data := make([]modelEntry, 0, len(s.order))
	for _, m := range s.order {
		data = append(data, modelEntry{
			ID: m.name, Object: "model", Created: m.created, OwnedBy: "muaibench",
			MaxModelLen: m.info.Shape.Context, Card: m.card(),
		})
	}
	writeJSON(w, http.StatusOK, map[string]any{"object": "list", "data": data})
}

func (s *Server) handleHealth(w http.ResponseWriter, r *http.Request) {
	if !s.running.Load() {
		writeError(w, notRunning())
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

func notRunning() *apiError {
	return &apiError{Status: http.StatusServiceUnavailable, Type: "server_error", Message: "server: schedulers are not running"}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
