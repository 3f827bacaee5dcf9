package engine

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"
)

// streamState is the per-request reading machinery, pooled so that a
// request allocates little beyond its Response.
type streamState struct {
	sse  *SSEReader
	dec  chunkDecoder
	text []byte // all output text, in order
	ends []int  // ends[i] is where chunk i's text ends in text
	body []byte // a non-streamed body
}

var streamPool = sync.Pool{New: func() any {
	return &streamState{sse: NewSSEReader(nil, 0)}
}}

func getStreamState(maxLine int) *streamState {
	st := streamPool.Get().(*streamState)
	st.sse.SetMaxLine(maxLine)
	st.text = st.text[:0]
	st.ends = st.ends[:0]
	return st
}

// maxPooledBuffer keeps one huge response from pinning memory in the pool.
const maxPooledBuffer = 256 << 10

func putStreamState(st *streamState) {
	st.sse.Reset(nil)
	if cap(st.text) > maxPooledBuffer || cap(st.body) > maxPooledBuffer ||
		cap(st.sse.data) > maxPooledBuffer || cap(st.sse.line) > maxPooledBuffer {
		return
	}
	streamPool.Put(st)
}

var doneData = []byte("[DONE]")

// readStream reads an SSE response into resp.
func (st *streamState) readStream(ctx context.Context, body io.Reader, resp *Response, maxTokens int) error {
	hint := 64
	if maxTokens > 0 {
		hint = min(maxTokens, 4096)
	}
	resp.Chunks = make([]Chunk, 0, hint)
	st.sse.Reset(body)
	for {
		ev, err := st.sse.Next()
		if err != nil {
			if err == io.EOF {
				// The engine closed the stream without [DONE].
				resp.End = time.Since(resp.Start)
				return nil
			}
			return st.readError(ctx, resp, err)
		}
		at := time.Since(resp.Start)
		resp.End = at
		if bytes.Equal(ev.Data, doneData) {
			// Drain what is left so the connection can be reused.
			if n, _ := io.Copy(io.Discard, io.LimitReader(body, 64<<10)); n > 0 {
				resp.End = time.Since(resp.Start)
			}
			return nil
		}
		if len(ev.Data) == 0 {
			continue
		}
		if string(ev.Type) == "error" {
			// llama.cpp's "error:" line, or an "event: error": the data is
			// an error object (or, failing that, the message itself).
			return parseErrorValue(bytes.Clone(ev.Data), "")
		}
		before := len(st.text)
		info, err := st.dec.decode(ev.Data, &st.text)
		if err != nil {
			st.text = st.text[:before]
			return err
		}
		if info.err != nil {
			st.text = st.text[:before]
			return info.err
		}
		st.apply(resp, info, at)
	}
}

// readBody reads a non-streamed JSON response into resp.
func (st *streamState) readBody(ctx context.Context, body io.Reader, resp *Response) error {
	buf := bytes.NewBuffer(st.body[:0])
	_, err := buf.ReadFrom(io.LimitReader(body, 256<<20))
	st.body = buf.Bytes()
	resp.End = time.Since(resp.Start)
	if err != nil {
		return st.readError(ctx, resp, err)
	}
	info, err := st.dec.decode(st.body, &st.text)
	if err != nil {
		return err
	}
	if info.err != nil {
		return info.err
	}
	resp.Chunks = make([]Chunk, 0, 1)
	st.apply(resp, info, resp.End)
	return nil
}

// apply records one decoded event.
func (st *streamState) apply(resp *Response, info chunkInfo, at time.Duration) {
	if info.textLen > 0 {
		resp.Chunks = append(resp.Chunks, Chunk{At: at, Tokens: info.tokens})
		st.ends = append(st.ends, len(st.text))
	}
	if info.finish != "" {
		resp.FinishReason = info.finish
	}
	if info.usage != nil {
		resp.Usage = info.usage
	}
	if info.timings != nil {
		resp.Timings = info.timings
	}
}

// finish builds resp.Text with one allocation and points every chunk's
// Text into it.
func (st *streamState) finish(resp *Response) {
	if len(st.text) == 0 {
		return
	}
	resp.Text = string(st.text)
	start := 0
	for i, end := range st.ends {
		resp.Chunks[i].Text = resp.Text[start:end]
		start = end
	}
}

// readError explains a failed read of the response body.
func (st *streamState) readError(ctx context.Context, resp *Response, err error) error {
	if ctxErr := ctx.Err(); ctxErr != nil {
		return fmt.Errorf("engine: response interrupted after %d chunks: %w", len(resp.Chunks), ctxErr)
	}
	if errors.Is(err, ErrLineTooLong) {
		return err
	}
	return fmt.Errorf("engine: %w after %d chunks: %w", ErrBroken, len(resp.Chunks), err)
}
