package report

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"

	"github.com/muaibench/muaibench/internal/metrics"
)

// RecordWriter appends request records to a JSONL file, one line per
// record, flushed as each one is written so that an interrupted run loses
// nothing that finished.
type RecordWriter struct {
	f   *os.File
	w   *bufio.Writer
	enc *json.Encoder
}

// CreateRecords creates (or truncates) the JSONL file at path.
func CreateRecords(path string) (*RecordWriter, error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	w := bufio.NewWriter(f)
	return &RecordWriter{f: f, w: w, enc: json.NewEncoder(w)}, nil
}

// Write appends one record and flushes it to the file.
func (rw *RecordWriter) Write(r *metrics.Record) error {
	if err := rw.enc.Encode(r); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	return rw.w.Flush()
}

// Close flushes and closes the file.
func (rw *RecordWriter) Close() error {
	if err := rw.w.Flush(); err != nil {
		rw.f.Close()
		return err
	}
	return rw.f.Close()
}

// ReadRecords reads a JSONL records file; a torn last line (a crash in
// the middle of a write) is ignored.
func ReadRecords(r io.Reader) ([]metrics.Record, error) {
	var out []metrics.Record
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 64<<20)
	for sc.Scan() {
		var rec metrics.Record
		if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
			if !sc.Scan() { // only the last line may be torn
				break
			}
			return out, fmt.Errorf("report: records line %d: %w", len(out)+1, err)
		}
		out = append(out, rec)
	}
	return out, sc.Err()
}
