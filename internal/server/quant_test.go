package server

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/muaibench/muaibench/internal/infer"
	"github.com/muaibench/muaibench/internal/infer/kernels"
	"github.com/muaibench/muaibench/internal/infer/sched"
	"github.com/muaibench/muaibench/internal/tokenizer"
)

// TestQuantizedModelCard checks that a quantized model's card and /metrics
// give its format, what stays in higher precision and its weight bytes.
func TestQuantizedModelCard(t *testing.T) {
	t.Parallel()
	shape, err := infer.ShapeByName("tiny")
	if err != nil {
		t.Fatal(err)
	}
	m, err := infer.NewSynthetic(shape, 1, infer.WithFormat(kernels.INT8))
	if err != nil {
		t.Fatal(err)
	}
	tok, err := tokenizer.GPT2()
	if err != nil {
		t.Fatal(err)
	}
	s := startServer(t, Options{Models: []ModelSpec{{Name: "q", Model: m, Tokenizer: tok}}, Sched: sched.Options{MaxSeqs: 2}})
	r := get(t, s.url+"/v1/models")
	var models struct {
		Data []modelEntry `json:"data"`
	}
	if err := json.Unmarshal(r.body, &models); err != nil || len(models.Data) != 1 {
		t.Fatalf("models: %d %s", r.status, r.body)
	}
	card := models.Data[0].Card
	want := m.Info().WeightBytes
	if card.Quantization != "int8" || card.WeightBytes != want || !strings.Contains(card.Precision, "layernorm, biases, position embedding fp32") {
		t.Errorf("card: got quantization %q, weight bytes %d, precision %q; want int8, %d and the fp32 parts", card.Quantization, card.WeightBytes, card.Precision, want)
	}
	r = get(t, s.url+"/metrics")
	if line := fmt.Sprintf(`muaibench_weight_bytes{model="q",quantization="int8"} %g`, float64(want)); !strings.Contains(string(r.body), line) {
		t.Errorf("metrics lack %q", line)
	}
}
