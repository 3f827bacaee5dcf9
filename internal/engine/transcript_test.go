package engine

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// transcriptDir holds one directory per dialect; see its README.md.
const transcriptDir = "../../testdata/transcripts"

// expectation is what a transcript must parse to, written by hand in the
// directory's expect.json.
type expectation struct {
	API           string             `json:"api"`
	Status        int                `json:"status"`
	Chunks        int                `json:"chunks"`
	Text          string             `json:"text"`
	Usage         []int              `json:"usage"` // prompt, completion, total
	Finish        string             `json:"finish"`
	Timings       map[string]float64 `json:"timings"` // a subset
	Tokens        []int              `json:"tokens"`  // Chunk.Tokens, when the engine says
	Error         string             `json:"error"`   // "", "stream", "status", "malformed"
	ErrorContains string             `json:"error_contains"`
	ErrorType     string             `json:"error_type"`
}

var (
	recordedStatus  = regexp.MustCompile(`\n*HTTP (\d{3})\n*$`)
	recordedHeaders = regexp.MustCompile(`(?s)^HTTP/1\.1 (\d{3})[^\n]*\n.*?\r?\n\r?\n`)
)

// loadTranscript returns a transcript's body and the status it was
// recorded with. The recorded llama.cpp files may start with the HTTP
// status line and headers, or end with a line "HTTP <status>" (curl's
// -w output); both are taken off.
func loadTranscript(t testing.TB, path string, status int) []byte {
	t.Helper()
	body, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if m := recordedHeaders.FindSubmatchIndex(body); m != nil {
		body = body[m[1]:]
	}
	if m := recordedStatus.FindSubmatch(body); m != nil {
		if got, _ := strconv.Atoi(string(m[1])); status != 0 && got != status {
			t.Fatalf("%s: recorded status %d, expect.json says %d", path, got, status)
		}
		body = body[:len(body)-len(m[0])]
	}
	return body
}

// replay serves body as an engine response on both generation routes.
func replay(t testing.TB, body []byte, status int, contentType string) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", contentType)
		w.WriteHeader(status)
		w.Write(body)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestTranscripts(t *testing.T) {
	t.Parallel()
	dirs, err := os.ReadDir(transcriptDir)
	if err != nil {
		t.Fatal(err)
	}
	seen := 0
	for _, dir := range dirs {
		if !dir.IsDir() {
			continue
		}
		dialect, err := ParseDialect(dir.Name())
		if err != nil {
			t.Errorf("transcript directory %s: %v", dir.Name(), err)
			continue
		}
		raw, err := os.ReadFile(filepath.Join(transcriptDir, dir.Name(), "expect.json"))
		if err != nil {
			t.Fatal(err)
		}
		var want map[string]expectation
		if err := json.Unmarshal(raw, &want); err != nil {
			t.Fatalf("%s/expect.json: %v", dir.Name(), err)
		}
		for name, exp := range want {
			seen++
			t.Run(dir.Name()+"/"+name, func(t *testing.T) {
				t.Parallel()
				checkTranscript(t, dialect, filepath.Join(transcriptDir, dir.Name(), name), exp)
			})
		}
	}
	if seen < 40 {
		t.Errorf("got %d transcripts with expectations, want at least 40", seen)
	}
}

func checkTranscript(t *testing.T, dialect Dialect, path string, exp expectation) {
	if exp.Status == 0 {
		exp.Status = http.StatusOK
	}
	body := loadTranscript(t, path, exp.Status)
	stream := strings.HasSuffix(path, ".sse")
	ct := "application/json"
	if stream {
		ct = "text/event-stream"
	} else if strings.HasSuffix(path, ".txt") && !bytes.HasPrefix(bytes.TrimSpace(body), []byte("{")) {
		ct = "text/html"
	}
	srv := replay(t, body, exp.Status, ct)
	c := NewOpenAI(OpenAIOptions{BaseURL: srv.URL, Dialect: dialect})
	req := Request{API: API(exp.API), Model: "m", Prompt: "p", MaxTokens: 8, Stream: stream}
	if req.API == APIChat {
		req.Messages = []Message{{Role: "user", Content: "p"}}
	}
	resp, err := c.Do(context.Background(), req)

	switch exp.Error {
	case "":
		if err != nil {
			t.Fatalf("Do: %v", err)
		}
	case "stream":
		var se *StreamError
		if !errors.As(err, &se) {
			t.Fatalf("got error %v (%T), want a *StreamError", err, err)
		}
		if se.Type != exp.ErrorType {
			t.Errorf("got error type %q, want %q", se.Type, exp.ErrorType)
		}
	case "status":
		var se *StatusError
		if !errors.As(err, &se) {
			t.Fatalf("got error %v (%T), want a *StatusError", err, err)
		}
		if se.Code != exp.Status || se.Type != exp.ErrorType {
			t.Errorf("got status %d type %q, want %d %q", se.Code, se.Type, exp.Status, exp.ErrorType)
		}
		if len(se.Message) > maxErrorText+len("…") {
			t.Errorf("got a %d-byte message, want at most %d", len(se.Message), maxErrorText)
		}
	case "malformed":
		if !errors.Is(err, ErrMalformed) {
			t.Fatalf("got error %v, want ErrMalformed", err)
		}
	}
	if exp.Error != "" && !strings.Contains(err.Error(), exp.ErrorContains) {
		t.Errorf("got error %q, want it to contain %q", err, exp.ErrorContains)
	}
	if resp.Status != exp.Status {
		t.Errorf("got status %d, want %d", resp.Status, exp.Status)
	}
	if len(resp.Chunks) != exp.Chunks {
		t.Errorf("got %d chunks, want %d", len(resp.Chunks), exp.Chunks)
	}
	if resp.Text != exp.Text {
		t.Errorf("got text %q, want %q", resp.Text, exp.Text)
	}
	var joined strings.Builder
	for i, ch := range resp.Chunks {
		if ch.Text == "" {
			t.Errorf("chunk %d has no text", i)
		}
		if i > 0 && ch.At < resp.Chunks[i-1].At {
			t.Errorf("chunk %d at %v, before chunk %d at %v", i, ch.At, i-1, resp.Chunks[i-1].At)
		}
		joined.WriteString(ch.Text)
	}
	if joined.String() != resp.Text {
		t.Errorf("got chunk texts joined %q, want Response.Text %q", joined.String(), resp.Text)
	}
	if exp.Tokens != nil {
		var got []int
		for _, ch := range resp.Chunks {
			got = append(got, ch.Tokens)
		}
		if diff := cmp.Diff(exp.Tokens, got); diff != "" {
			t.Errorf("chunk token counts (-want +got):\n%s", diff)
		}
	}
	var wantUsage *Usage
	if exp.Usage != nil {
		wantUsage = &Usage{PromptTokens: exp.Usage[0], CompletionTokens: exp.Usage[1], TotalTokens: exp.Usage[2]}
	}
	if diff := cmp.Diff(wantUsage, resp.Usage); diff != "" {
		t.Errorf("usage (-want +got):\n%s", diff)
	}
	if resp.FinishReason != exp.Finish {
		t.Errorf("got finish reason %q, want %q", resp.FinishReason, exp.Finish)
	}
	for k, v := range exp.Timings {
		if got, ok := resp.Timings[k]; !ok || got != v {
			t.Errorf("got timings[%q] = %v (present %v), want %v", k, got, ok, v)
		}
	}
	if exp.Timings == nil && resp.Timings != nil {
		t.Errorf("got timings %v, want none", resp.Timings)
	}
	if resp.End <= 0 || resp.Start.IsZero() {
		t.Errorf("got Start %v End %v, want both set", resp.Start, resp.End)
	}
}
