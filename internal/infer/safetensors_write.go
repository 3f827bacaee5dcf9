package infer

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"os"
)

// Tensor is one named tensor to write with WriteSafetensors.
type Tensor struct {
	Name string
	// DType is the stored type: "F32" (also when empty), "F16" or "BF16".
	DType string
	Shape []int
	Data  []float32
}

// WriteSafetensors writes tensors to path in file order, each in its DType.
func WriteSafetensors(path string, tensors []Tensor) (err error) {
	type entry struct {
		DType       string  `json:"dtype"`
		Shape       []int   `json:"shape"`
		DataOffsets []int64 `json:"data_offsets"`
	}
	header := make(map[string]entry, len(tensors))
	var off int64
	for _, t := range tensors {
		dt := cmpOr(t.DType, "F32")
		size, ok := map[string]int64{"F32": 4, "F16": 2, "BF16": 2}[dt]
		if !ok {
			return fmt.Errorf("safetensors: tensor %q: cannot write dtype %q", t.Name, dt)
		}
		if n := (TensorInfo{Shape: t.Shape}).Numel(); n != len(t.Data) {
			return fmt.Errorf("safetensors: tensor %q: shape %v has %d elements, data %d", t.Name, t.Shape, n, len(t.Data))
		}
		if _, dup := header[t.Name]; dup || t.Name == "__metadata__" {
			return fmt.Errorf("safetensors: duplicate or reserved tensor name %q", t.Name)
		}
		end := off + size*int64(len(t.Data))
		header[t.Name] = entry{DType: dt, Shape: append([]int{}, t.Shape...), DataOffsets: []int64{off, end}}
		off = end
	}
	h, err := json.Marshal(header)
	if err != nil {
		return fmt.Errorf("safetensors: %w", err)
	}
	for len(h)%8 != 0 {
		h = append(h, ' ')
	}
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("safetensors: %w", err)
	}
	defer func() {
		if cerr := f.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("safetensors: %w", cerr)
		}
	}()
	w := bufio.NewWriterSize(f, 1<<20)
	binary.Write(w, binary.LittleEndian, uint64(len(h)))
	w.Write(h)
	var b [4]byte
	for _, t := range tensors {
		for _, v := range t.Data {
			switch cmpOr(t.DType, "F32") {
			case "F32":
				binary.LittleEndian.PutUint32(b[:], math.Float32bits(v))
				w.Write(b[:4])
			case "F16":
				binary.LittleEndian.PutUint16(b[:], f32ToF16(v))
				w.Write(b[:2])
			case "BF16":
				binary.LittleEndian.PutUint16(b[:], f32ToBF16(v))
				w.Write(b[:2])
			}
		}
	}
	if err := w.Flush(); err != nil {
		return fmt.Errorf("safetensors: %w", err)
	}
	return nil
}

func cmpOr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
