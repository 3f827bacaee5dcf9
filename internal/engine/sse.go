package engine

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
)

// DefaultMaxLineBytes is the longest SSE line an SSEReader accepts unless
// told otherwise: far above any real chunk (a 1 MB data line is fine), low
// enough that a runaway stream cannot eat the benchmark's memory.
const DefaultMaxLineBytes = 8 << 20

// sseBufferSize is the bufio buffer of an SSEReader. It is small because a
// benchmark may hold ten thousand streams open; longer lines are assembled
// in a separate buffer.
const sseBufferSize = 4 << 10

// ErrLineTooLong is returned (wrapped) by SSEReader.Next for a line longer
// than the reader's limit.
var ErrLineTooLong = errors.New("sse line too long")

// SSEEvent is one server-sent event. Its byte slices are valid until the
// next call to Next.
type SSEEvent struct {
	// Type is the event: field; empty for the default "message" type. A
	// llama.cpp "error:" field line (not in the SSE standard, sent by some
	// llama-server builds) is reported as an event of type "error" with the
	// line's value as Data.
	Type []byte
	// ID is the id: field, nil when the event had none.
	ID []byte
	// Data is the event's data: lines joined by "\n".
	Data []byte
	// Retry is the retry: field in milliseconds, -1 when absent.
	Retry int
}

// SSEReader reads server-sent events (the text/event-stream format) from a
// stream. It accepts LF and CRLF line ends, "field:value" with or without a
// space after the colon, comment lines (":" keep-alives), and a last event
// that is not followed by a blank line. Lines that begin with "{" are taken
// as data lines: Ollama writes an error object that way in the middle of a
// stream. A lone CR as a line end is not supported.
type SSEReader struct {
	br      *bufio.Reader
	max     int
	line    []byte // assembles lines longer than the bufio buffer
	data    []byte
	typ     []byte
	id      []byte
	hasData bool
	hasID   bool
	retry   int
	err     error
}

// NewSSEReader returns a reader of the events in r. maxLine bounds the
// length of one line; 0 means DefaultMaxLineBytes.
func NewSSEReader(r io.Reader, maxLine int) *SSEReader {
	s := &SSEReader{br: bufio.NewReaderSize(r, sseBufferSize)}
	s.SetMaxLine(maxLine)
	s.Reset(r)
	return s
}

// SetMaxLine changes the line length limit; 0 means DefaultMaxLineBytes.
func (s *SSEReader) SetMaxLine(n int) {
	if n <= 0 {
		n = DefaultMaxLineBytes
	}
	s.max = n
}

// Reset makes s read from r, dropping any buffered state.
func (s *SSEReader) Reset(r io.Reader) {
	s.br.Reset(r)
	s.line = s.line[:0]
	s.data = s.data[:0]
	s.typ = s.typ[:0]
	s.id = s.id[:0]
	s.hasData, s.hasID = false, false
	s.retry = -1
	s.err = nil
}

// Next returns the next event. At the end of the stream it returns io.EOF,
// after dispatching an event whose trailing blank line was missing. A read
// error ends the stream with that error; a line over the limit with an
// error wrapping ErrLineTooLong.
func (s *SSEReader) Next() (SSEEvent, error) {
	if s.err != nil {
		return SSEEvent{}, s.err
	}
	for {
		line, err := s.readLine()
		if err != nil {
			if err == io.EOF && s.hasData {
				// The last event had no blank line after it.
				ev := s.dispatch()
				s.err = io.EOF
				return ev, nil
			}
			s.err = err
			return SSEEvent{}, err
		}
		if len(line) == 0 {
			if s.hasData {
				return s.dispatch(), nil
			}
			// A blank line with no data dispatches nothing (the SSE
			// standard); it resets the event type.
			s.typ = s.typ[:0]
			continue
		}
		s.field(line)
	}
}

// dispatch returns the pending event and clears the data buffer. The
// returned slices stay valid until the next call to Next.
func (s *SSEReader) dispatch() SSEEvent {
	ev := SSEEvent{Data: s.data, Retry: s.retry}
	if len(s.typ) > 0 {
		ev.Type = s.typ
	}
	if s.hasID {
		ev.ID = s.id
	}
	// The next event starts from empty buffers; the returned slices keep
	// their contents until the buffers are appended to again, which only
	// happens inside the next call to Next.
	s.data = s.data[:0]
	s.typ = s.typ[:0]
	s.hasData = false
	s.retry = -1
	return ev
}

var (
	fieldData  = []byte("data")
	fieldEvent = []byte("event")
	fieldID    = []byte("id")
	fieldRetry = []byte("retry")
	fieldError = []byte("error")
	typeError  = []byte("error")
)

// field processes one non-blank line.
func (s *SSEReader) field(line []byte) {
	if line[0] == ':' {
		return // comment, keep-alive
	}
	if line[0] == '{' {
		s.appendData(line)
		return
	}
	name, value := line, []byte(nil)
	if i := bytes.IndexByte(line, ':'); i >= 0 {
		name, value = line[:i], line[i+1:]
		if len(value) > 0 && value[0] == ' ' {
			value = value[1:]
		}
	}
	switch {
	case bytes.Equal(name, fieldData):
		s.appendData(value)
	case bytes.Equal(name, fieldEvent):
		s.typ = append(s.typ[:0], value...)
	case bytes.Equal(name, fieldID):
		if bytes.IndexByte(value, 0) < 0 {
			s.id = append(s.id[:0], value...)
			s.hasID = true
		}
	case bytes.Equal(name, fieldRetry):
		if n, ok := atoiDigits(value); ok {
			s.retry = n
		}
	case bytes.Equal(name, fieldError):
		s.typ = append(s.typ[:0], typeError...)
		s.appendData(value)
	}
}

func (s *SSEReader) appendData(v []byte) {
	if s.hasData {
		s.data = append(s.data, '\n')
	}
	s.data = append(s.data, v...)
	s.hasData = true
}

// readLine returns the next line without its line end. The slice is valid
// until the next read.
func (s *SSEReader) readLine() ([]byte, error) {
	line, err := s.br.ReadSlice('\n')
	if err == bufio.ErrBufferFull {
		// A long line: assemble it in s.line.
		s.line = append(s.line[:0], line...)
		for err == bufio.ErrBufferFull {
			if len(s.line) > s.max {
				return nil, fmt.Errorf("engine: %w: more than %d bytes", ErrLineTooLong, s.max)
			}
			line, err = s.br.ReadSlice('\n')
			s.line = append(s.line, line...)
		}
		line = s.line
	}
	if err != nil {
		if err == io.EOF && len(line) > 0 {
			err = nil // a last line without a line end
		} else {
			return nil, err
		}
	}
	n := len(line)
	if n > 0 && line[n-1] == '\n' {
		n--
		if n > 0 && line[n-1] == '\r' {
			n--
		}
	}
	if n > s.max {
		return nil, fmt.Errorf("engine: %w: more than %d bytes", ErrLineTooLong, s.max)
	}
	return line[:n], nil
}

// atoiDigits parses an SSE retry value: ASCII digits only.
func atoiDigits(b []byte) (int, bool) {
	if len(b) == 0 || len(b) > 9 {
		return 0, false
	}
	n := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}
