package infer

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"unsafe"
)

// maxSafetensorsHeader bounds the JSON header, as the reference
// implementation does, so a corrupt length cannot ask for gigabytes.
const maxSafetensorsHeader = 100 << 20

// dtypeSizes are the element sizes of the safetensors dtypes. Any of them
// may appear in a file; ReadFloat32 converts F32, F16 and BF16.
var dtypeSizes = map[string]int64{
	"BOOL": 1, "U8": 1, "I8": 1, "F8_E5M2": 1, "F8_E4M3": 1,
	"I16": 2, "U16": 2, "F16": 2, "BF16": 2,
	"I32": 4, "U32": 4, "F32": 4,
	"I64": 8, "U64": 8, "F64": 8,
}

// TensorInfo describes one tensor of a safetensors file.
type TensorInfo struct {
	Name  string
	DType string
	Shape []int
	// Begin and End are byte offsets into the data section.
	Begin, End int64
}

// Numel is the number of elements.
func (t TensorInfo) Numel() int {
	n := 1
	for _, d := range t.Shape {
		n *= d
	}
	return n
}

// SafetensorsFile is an open safetensors file whose tensors are read one
// at a time, straight into the caller's buffer.
type SafetensorsFile struct {
	f         *os.File
	dataStart int64
	tensors   map[string]TensorInfo
	// Metadata is the header's __metadata__ map, if any.
	Metadata map[string]string
}

// OpenSafetensors opens path and validates its header: every tensor's
// dtype, shape and byte range, against each other and the file's size.
func OpenSafetensors(path string) (*SafetensorsFile, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("safetensors: %w", err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("safetensors: %w", err)
	}
	s, err := readSafetensorsHeader(f, st.Size())
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("safetensors: %s: %w", path, err)
	}
	s.f = f
	return s, nil
}

func readSafetensorsHeader(r io.ReaderAt, size int64) (*SafetensorsFile, error) {
	var lenBuf [8]byte
	if size < 8 {
		return nil, fmt.Errorf("file of %d bytes is too short for a header", size)
	}
	if _, err := r.ReadAt(lenBuf[:], 0); err != nil {
		return nil, err
	}
	n := binary.LittleEndian.Uint64(lenBuf[:])
	if n > maxSafetensorsHeader || n > uint64(size-8) {
		return nil, fmt.Errorf("header length %d exceeds the file (%d bytes) or the %d-byte limit", n, size, maxSafetensorsHeader)
	}
	header := make([]byte, n)
	if _, err := r.ReadAt(header, 8); err != nil {
		return nil, err
	}
	tensors, meta, err := parseSafetensorsHeader(header, size-8-int64(n))
	if err != nil {
		return nil, err
	}
	return &SafetensorsFile{dataStart: 8 + int64(n), tensors: tensors, Metadata: meta}, nil
}

// parseSafetensorsHeader decodes and validates a JSON header for a data
// section of dataLen bytes.
func parseSafetensorsHeader(header []byte, dataLen int64) (map[string]TensorInfo, map[string]string, error) {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(header, &raw); err != nil {
		return nil, nil, fmt.Errorf("header: %w", err)
	}
	var meta map[string]string
	tensors := make(map[string]TensorInfo, len(raw))
	for name, msg := range raw {
		if name == "__metadata__" {
			if err := json.Unmarshal(msg, &meta); err != nil {
				return nil, nil, fmt.Errorf("header: __metadata__: %w", err)
			}
			continue
		}
		var e struct {
			DType       string  `json:"dtype"`
			Shape       []int64 `json:"shape"`
			DataOffsets []int64 `json:"data_offsets"`
		}
		dec := json.NewDecoder(bytes.NewReader(msg))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&e); err != nil {
			return nil, nil, fmt.Errorf("header: tensor %q: %w", name, err)
		}
		size, ok := dtypeSizes[e.DType]
		if !ok {
			return nil, nil, fmt.Errorf("header: tensor %q: unknown dtype %q", name, e.DType)
		}
		if len(e.DataOffsets) != 2 {
			return nil, nil, fmt.Errorf("header: tensor %q: data_offsets has %d entries, want 2", name, len(e.DataOffsets))
		}
		begin, end := e.DataOffsets[0], e.DataOffsets[1]
		if begin < 0 || end < begin || end > dataLen {
			return nil, nil, fmt.Errorf("header: tensor %q: data_offsets [%d, %d] outside the %d-byte data section", name, begin, end, dataLen)
		}
		numel := int64(1)
		shape := make([]int, len(e.Shape))
		for i, d := range e.Shape {
			if d < 0 || (d > 0 && numel > dataLen/d) {
				numel = -1
				break
			}
			numel *= d
			shape[i] = int(d)
		}
		if numel < 0 || numel*size != end-begin {
			return nil, nil, fmt.Errorf("header: tensor %q: shape %v of %s needs %s bytes, data_offsets give %d",
				name, e.Shape, e.DType, bytesNeeded(e.Shape, size), end-begin)
		}
		tensors[name] = TensorInfo{Name: name, DType: e.DType, Shape: shape, Begin: begin, End: end}
	}
	byOffset := sortedTensors(tensors)
	for i := 1; i < len(byOffset); i++ {
		a, b := byOffset[i-1], byOffset[i]
		if b.Begin < a.End {
			return nil, nil, fmt.Errorf("header: tensors %q and %q overlap", a.Name, b.Name)
		}
	}
	return tensors, meta, nil
}

func bytesNeeded(shape []int64, size int64) string {
	n := size
	for _, d := range shape {
		if d < 0 || (d > 0 && n > math.MaxInt64/d) {
			return "an invalid number of"
		}
		n *= d
	}
	return fmt.Sprint(n)
}

func sortedTensors(m map[string]TensorInfo) []TensorInfo {
	ts := make([]TensorInfo, 0, len(m))
	for _, t := range m {
		ts = append(ts, t)
	}
	slices.SortFunc(ts, func(a, b TensorInfo) int {
		if a.Begin != b.Begin {
			return int(a.Begin - b.Begin)
		}
		return int(a.End - b.End)
	})
	return ts
}

// Close closes the file.
func (s *SafetensorsFile) Close() error { return s.f.Close() }

// Tensors lists the tensors in file order.
func (s *SafetensorsFile) Tensors() []TensorInfo { return sortedTensors(s.tensors) }

// Tensor returns the named tensor's description.
func (s *SafetensorsFile) Tensor(name string) (TensorInfo, bool) {
	t, ok := s.tensors[name]
	return t, ok
}

// ReadFloat32 reads the named F32, F16 or BF16 tensor into dst, which must
// hold exactly its elements, converting to float32.
func (s *SafetensorsFile) ReadFloat32(name string, dst []float32) error {
	if t, ok := s.tensors[name]; ok && t.Numel() != len(dst) {
		return fmt.Errorf("safetensors: tensor %q has %d elements, buffer %d", name, t.Numel(), len(dst))
	}
	return s.ReadFloat32At(name, dst, 0)
}

// ReadFloat32At reads elements [elem, elem+len(dst)) of the named F32, F16
// or BF16 tensor, in row-major order, into dst, converting to float32.
func (s *SafetensorsFile) ReadFloat32At(name string, dst []float32, elem int) error {
	t, ok := s.tensors[name]
	if !ok {
		return fmt.Errorf("safetensors: no tensor %q", name)
	}
	if elem < 0 || elem+len(dst) > t.Numel() {
		return fmt.Errorf("safetensors: tensor %q has %d elements, cannot read [%d, %d)", name, t.Numel(), elem, elem+len(dst))
	}
	off := s.dataStart + t.Begin + int64(elem)*dtypeSizes[t.DType]
	switch t.DType {
	case "F32":
		if littleEndian {
			b := unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(dst))), 4*len(dst))
			_, err := s.f.ReadAt(b, off)
			return readErr(name, err)
		}
		return s.readConverted(name, dst, off, 4, func(b []byte) float32 {
			return math.Float32frombits(binary.LittleEndian.Uint32(b))
		})
	case "F16":
		return s.readConverted(name, dst, off, 2, func(b []byte) float32 {
			return f16ToF32(binary.LittleEndian.Uint16(b))
		})
	case "BF16":
		return s.readConverted(name, dst, off, 2, func(b []byte) float32 {
			return math.Float32frombits(uint32(binary.LittleEndian.Uint16(b)) << 16)
		})
	}
	return fmt.Errorf("safetensors: tensor %q is %s, want F32, F16 or BF16", name, t.DType)
}

// readConverted reads size-byte elements through a small buffer.
func (s *SafetensorsFile) readConverted(name string, dst []float32, off int64, size int, conv func([]byte) float32) error {
	buf := make([]byte, min(len(dst), 1<<18)*size)
	for i := 0; i < len(dst); {
		n := min(len(dst)-i, len(buf)/size)
		b := buf[:n*size]
		if _, err := s.f.ReadAt(b, off+int64(i*size)); err != nil {
			return readErr(name, err)
		}
		for j := range n {
			dst[i+j] = conv(b[j*size:])
		}
		i += n
	}
	return nil
}

func readErr(name string, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, io.EOF) {
		err = io.ErrUnexpectedEOF
	}
	return fmt.Errorf("safetensors: reading tensor %q: %w", name, err)
}

var littleEndian = binary.NativeEndian.Uint16([]byte{1, 0}) == 1
