package infer

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeCheckpoint writes a Hugging Face style checkpoint of w to a new
// directory, letting edit change the tensors first.
func writeCheckpoint(t *testing.T, w *Weights, edit func([]Tensor) []Tensor) string {
	t.Helper()
	dir := t.TempDir()
	s := w.Shape
	cfg, _ := json.Marshal(map[string]any{
		"model_type": "gpt2", "n_layer": s.Layers, "n_head": s.Heads, "n_embd": s.Embd,
		"n_positions": s.Context, "n_ctx": s.Context, "vocab_size": s.Vocab,
	})
	if err := os.WriteFile(filepath.Join(dir, "config.json"), cfg, 0o644); err != nil {
		t.Fatal(err)
	}
	tensors := w.Tensors()
	if edit != nil {
		tensors = edit(tensors)
	}
	if err := WriteSafetensors(filepath.Join(dir, "model.safetensors"), tensors); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestCheckpointRoundTrip(t *testing.T) {
	w := testWeights(t, 5)
	want := testLogits(t, w)
	tests := []struct {
		name string
		edit func([]Tensor) []Tensor
		tol  float64
	}{
		{"f32", nil, 0},
		{"transformer prefix and buffers", func(ts []Tensor) []Tensor {
			for i := range ts {
				ts[i].Name = "transformer." + ts[i].Name
			}
			return append(ts,
				Tensor{Name: "transformer.h.0.attn.bias", Shape: []int{1, 1, 2, 2}, Data: []float32{1, 0, 1, 1}},
				Tensor{Name: "transformer.h.0.attn.masked_bias", Shape: []int{}, Data: []float32{-1e4}})
		}, 0},
		{"f16", func(ts []Tensor) []Tensor { return withDType(ts, "F16") }, 0.05},
		{"bf16", func(ts []Tensor) []Tensor { return withDType(ts, "BF16") }, 0.2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := writeCheckpoint(t, w, tc.edit)
			g, err := Load(context.Background(), dir)
			if err != nil {
				t.Fatal(err)
			}
			info := g.Info()
			if info.Weights != filepath.Join(dir, "model.safetensors") || len(info.WeightsSHA256) != 64 || info.Shape.Name != "tiny" {
				t.Errorf("got info %+v, want the checkpoint path, a SHA-256 and shape tiny", info)
			}
			got := testLogits(t, g.w)
			var d float64
			for i := range got {
				d = max(d, math.Abs(float64(got[i]-want[i])))
			}
			if d > tc.tol {
				t.Errorf("got logits max |diff| %g after the round trip, want <= %g", d, tc.tol)
			}
		})
	}
}

func withDType(ts []Tensor, dt string) []Tensor {
	for i := range ts {
		ts[i].DType = dt
	}
	return ts
}

// testLogits returns the logits of a short prompt.
func testLogits(t *testing.T, w *Weights) []float32 {
	t.Helper()
	g, err := New(w)
	if err != nil {
		t.Fatal(err)
	}
	return run(t, g, g.NewKVPool(1<<20, 16), testTokens(10, 1), []int{10})[0]
}

func TestCheckpointErrors(t *testing.T) {
	w := testWeights(t, 6)
	tests := []struct {
		name string
		edit func([]Tensor) []Tensor
		want string
	}{
		{"wrong shape", func(ts []Tensor) []Tensor {
			for i := range ts {
				if ts[i].Name == "h.1.mlp.c_fc.weight" {
					ts[i].Shape = []int{256, 64} // transposed
				}
			}
			return ts
		}, "infer: checkpoint tensor h.1.mlp.c_fc.weight has shape [256 64], model tiny wants [64 256]"},
		{"missing tensor", func(ts []Tensor) []Tensor { return ts[:len(ts)-1] }, `missing tensor "ln_f.bias"`},
		{"unexpected tensor", func(ts []Tensor) []Tensor {
			return append(ts, Tensor{Name: "h.9.mlp.c_fc.weight", Shape: []int{1}, Data: []float32{0}})
		}, `unexpected tensor "h.9.mlp.c_fc.weight"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Load(context.Background(), writeCheckpoint(t, w, tc.edit))
			if err == nil || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "\n") {
				t.Errorf("got error %v, want one line containing %q", err, tc.want)
			}
		})
	}
}

func TestSafetensorsHeaderErrors(t *testing.T) {
	tests := []struct {
		name, header string
		dataLen      int64
		want         string
	}{
		{"not json", `{"a":`, 0, "header"},
		{"unknown dtype", `{"a":{"dtype":"F31","shape":[1],"data_offsets":[0,4]}}`, 4, "unknown dtype"},
		{"size mismatch", `{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}}`, 8, "needs 8 bytes"},
		{"past the end", `{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}`, 4, "outside"},
		{"negative dim", `{"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,0]}}`, 4, "shape"},
		{"overflowing shape", `{"a":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,0]}}`, 4, "invalid number"},
		{"overlap", `{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}`, 8, "overlap"},
		{"offsets", `{"a":{"dtype":"F32","shape":[1],"data_offsets":[0]}}`, 4, "data_offsets"},
		{"unknown field", `{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4],"x":1}}`, 4, "unknown field"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := parseSafetensorsHeader([]byte(tc.header), tc.dataLen)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want an error containing %q", err, tc.want)
			}
		})
	}
	ts, meta, err := parseSafetensorsHeader([]byte(`{"__metadata__":{"format":"pt"},"a":{"dtype":"BF16","shape":[2,3],"data_offsets":[0,12]}}`), 12)
	if err != nil || meta["format"] != "pt" || ts["a"].Numel() != 6 {
		t.Errorf("got %v, %v, %v; want tensor a of 6 elements and format pt", ts, meta, err)
	}
}

func TestHalfConversions(t *testing.T) {
	tests := []struct {
		f    float32
		f16  uint16
		bf16 uint16
	}{
		{0, 0x0000, 0x0000},
		{1, 0x3c00, 0x3f80},
		{-2, 0xc000, 0xc000},
		{65504, 0x7bff, 0x4780},
		{float32(math.Inf(1)), 0x7c00, 0x7f80},
		{5.960464477539063e-08, 0x0001, 0x3380}, // smallest f16 subnormal
		{6.097555160522461e-05, 0x03ff, 0x3880}, // largest f16 subnormal
		{0.1, 0x2e66, 0x3dcd},
	}
	for _, tc := range tests {
		if got := f32ToF16(tc.f); got != tc.f16 {
			t.Errorf("f32ToF16(%g): got %#04x, want %#04x", tc.f, got, tc.f16)
		}
		if got := f32ToBF16(tc.f); got != tc.bf16 {
			t.Errorf("f32ToBF16(%g): got %#04x, want %#04x", tc.f, got, tc.bf16)
		}
		if got := f16ToF32(tc.f16); math.Abs(float64(got-tc.f)) > math.Abs(float64(tc.f))*1e-3 {
			t.Errorf("f16ToF32(%#04x): got %g, want %g", tc.f16, got, tc.f)
		}
	}
	for h := range 1 << 16 { // every finite half survives the round trip
		if h&0x7c00 == 0x7c00 {
			continue
		}
		if got := f32ToF16(f16ToF32(uint16(h))); got != uint16(h) {
			t.Fatalf("f32ToF16(f16ToF32(%#04x)): got %#04x", h, got)
		}
	}
	if !math.IsNaN(float64(f16ToF32(0x7e00))) || !math.IsNaN(float64(math.Float32frombits(uint32(f32ToBF16(float32(math.NaN())))<<16))) {
		t.Error("NaN did not survive conversion")
	}
}

func FuzzSafetensorsHeader(f *testing.F) {
	f.Add([]byte(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}`), int64(8))
	f.Add([]byte(`{"__metadata__":{"k":"v"},"b":{"dtype":"F16","shape":[],"data_offsets":[0,2]}}`), int64(2))
	f.Add([]byte(`{"a":{"dtype":"I64","shape":[9223372036854775807,2],"data_offsets":[0,16]}}`), int64(16))
	f.Add([]byte("\x00\xff{"), int64(0))
	f.Fuzz(func(t *testing.T, header []byte, dataLen int64) {
		if dataLen < 0 {
			dataLen = -dataLen
		}
		ts, _, err := parseSafetensorsHeader(header, dataLen)
		if err != nil {
			return
		}
		for _, x := range ts {
			if x.Begin < 0 || x.End > dataLen || x.End-x.Begin != int64(x.Numel())*dtypeSizes[x.DType] {
				t.Fatalf("accepted an inconsistent tensor %+v for %d data bytes", x, dataLen)
			}
		}
	})
}

func FuzzSafetensorsFile(f *testing.F) {
	h := []byte(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}`)
	file := binary.LittleEndian.AppendUint64(nil, uint64(len(h)))
	f.Add(append(append(file, h...), 0, 0, 128, 63))
	f.Add([]byte{255, 255, 255, 255, 255, 255, 255, 255})
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := readSafetensorsHeader(strings.NewReader(string(b)), int64(len(b)))
		if err == nil && s.dataStart > int64(len(b)) {
			t.Fatalf("data starts at %d past the %d-byte file", s.dataStart, len(b))
		}
	})
}

func TestReadShape(t *testing.T) {
	tests := []struct {
		name, config, want string
	}{
		{"gpt2", `{"n_layer":12,"n_head":12,"n_embd":768,"n_positions":1024,"vocab_size":50257}`, "gpt2"},
		{"n_ctx only", `{"n_layer":24,"n_head":16,"n_embd":1024,"n_ctx":1024,"vocab_size":50257}`, "gpt2-medium"},
		{"custom", `{"n_layer":3,"n_head":4,"n_embd":32,"n_positions":64,"vocab_size":100}`, "custom"},
		{"bad heads", `{"n_layer":3,"n_head":5,"n_embd":32,"n_positions":64,"vocab_size":100}`, "error: not a multiple"},
		{"missing", `{"n_layer":3}`, "error: must be >= 1"},
		{"not json", `{`, "error: config"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "custom")
			os.Mkdir(dir, 0o755)
			os.WriteFile(filepath.Join(dir, "config.json"), []byte(tc.config), 0o644)
			s, err := ReadShape(dir)
			if want, ok := strings.CutPrefix(tc.want, "error: "); ok {
				if err == nil || !strings.Contains(err.Error(), want) {
					t.Errorf("got %v, %v; want an error containing %q", s, err, want)
				}
				return
			}
			if err != nil || s.Name != tc.want {
				t.Errorf("got %v, %v; want shape %s", s, err, tc.want)
			}
		})
	}
}
