package engine

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/google/go-cmp/cmp"
)

// event is an SSEEvent with strings, for comparisons.
type event struct {
	Type, ID, Data string
	HasID          bool
	Retry          int
}

func readAll(t testing.TB, r io.Reader, maxLine int) ([]event, error) {
	s := NewSSEReader(r, maxLine)
	var out []event
	for {
		ev, err := s.Next()
		if err != nil {
			if err == io.EOF {
				return out, nil
			}
			return out, err
		}
		out = append(out, event{Type: string(ev.Type), ID: string(ev.ID), HasID: ev.ID != nil, Data: string(ev.Data), Retry: ev.Retry})
	}
}

func TestSSEReader(t *testing.T) {
	t.Parallel()
	d := func(data string) event { return event{Data: data, Retry: -1} }
	tests := []struct {
		name string
		in   string
		want []event
	}{
		{"data with space", "data: a\n\n", []event{d("a")}},
		{"data without space", "data:a\n\n", []event{d("a")}},
		{"only one space is taken", "data:  a\n\n", []event{d(" a")}},
		{"multi-line data", "data: a\ndata: b\n\n", []event{d("a\nb")}},
		{"CRLF", "data: a\r\n\r\ndata: b\r\n\r\n", []event{d("a"), d("b")}},
		{"comments and keep-alives", ": ping\n\n:\n\ndata: a\n\n", []event{d("a")}},
		{"blank lines without data", "\n\n\ndata: a\n\n\n\n", []event{d("a")}},
		{"last event without blank line", "data: a\n\ndata: b", []event{d("a"), d("b")}},
		{"last event without line end", "data: a\n\ndata: b\n", []event{d("a"), d("b")}},
		{"done", "data: a\n\ndata: [DONE]\n\n", []event{d("a"), d("[DONE]")}},
		{"event id retry", "event: delta\nid: 7\nretry: 1500\ndata: a\n\n",
			[]event{{Type: "delta", ID: "7", HasID: true, Data: "a", Retry: 1500}}},
		{"event type resets after dispatch", "event: x\ndata: a\n\ndata: b\n\n",
			[]event{{Type: "x", Data: "a", Retry: -1}, d("b")}},
		{"id persists across events", "id: 1\ndata: a\n\ndata: b\n\n",
			[]event{{ID: "1", HasID: true, Data: "a", Retry: -1}, {ID: "1", HasID: true, Data: "b", Retry: -1}}},
		{"bad retry ignored", "retry: soon\ndata: a\n\n", []event{d("a")}},
		{"unknown field ignored", "foo: bar\ndata: a\n\n", []event{d("a")}},
		{"field without colon", "data\n\n", []event{d("")}},
		{"empty data line dispatches an empty event", "data:\n\n", []event{d("")}},
		{"llama.cpp error field", "error: {\"message\":\"x\"}\n\n",
			[]event{{Type: "error", Data: `{"message":"x"}`, Retry: -1}}},
		{"bare JSON line (Ollama error)", "data: a\n\n{\"error\":{\"message\":\"x\"}}\n",
			[]event{d("a"), d(`{"error":{"message":"x"}}`)}},
		{"empty input", "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			for _, r := range []struct {
				name string
				r    io.Reader
			}{
				{"whole", strings.NewReader(tt.in)},
				{"byte by byte", iotest.OneByteReader(strings.NewReader(tt.in))},
			} {
				got, err := readAll(t, r.r, 0)
				if err != nil {
					t.Fatalf("%s: %v", r.name, err)
				}
				if diff := cmp.Diff(tt.want, got); diff != "" {
					t.Errorf("%s: events (-want +got):\n%s", r.name, diff)
				}
			}
		})
	}
}

func TestSSEReaderLongLines(t *testing.T) {
	t.Parallel()
	mb := strings.Repeat("x", 1<<20)
	t.Run("1 MB data line", func(t *testing.T) {
		got, err := readAll(t, strings.NewReader("data: "+mb+"\n\ndata: b\n\n"), 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 2 || got[0].Data != mb || got[1].Data != "b" {
			t.Errorf("got %d events, first %d bytes, want 2 events, first %d bytes", len(got), len(got[0].Data), len(mb))
		}
	})
	t.Run("over the limit", func(t *testing.T) {
		_, err := readAll(t, strings.NewReader("data: "+mb+"\n\n"), 64<<10)
		if !errors.Is(err, ErrLineTooLong) {
			t.Fatalf("got error %v, want ErrLineTooLong", err)
		}
		if !strings.Contains(err.Error(), "65536") {
			t.Errorf("got error %q, want it to name the limit", err)
		}
	})
	t.Run("over the limit without a line end", func(t *testing.T) {
		_, err := readAll(t, strings.NewReader("data: "+mb), 64<<10)
		if !errors.Is(err, ErrLineTooLong) {
			t.Fatalf("got error %v, want ErrLineTooLong", err)
		}
	})
	t.Run("read error", func(t *testing.T) {
		boom := errors.New("boom")
		_, err := readAll(t, io.MultiReader(strings.NewReader("data: a\n\n"), iotest.ErrReader(boom)), 0)
		if !errors.Is(err, boom) {
			t.Fatalf("got error %v, want boom", err)
		}
	})
}

// transcriptSeeds returns every transcript's body, for fuzz seeds.
func transcriptSeeds(t testing.TB) [][]byte {
	var seeds [][]byte
	paths, _ := filepath.Glob(filepath.Join(transcriptDir, "*", "*"))
	for _, p := range paths {
		if strings.HasSuffix(p, ".md") {
			continue
		}
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		seeds = append(seeds, b)
	}
	return seeds
}

// FuzzSSEReader checks that any input parses without panicking, that
// reading in one-byte pieces gives the same events, and that a clean
// re-encoding of the events reads back the same.
func FuzzSSEReader(f *testing.F) {
	for _, s := range transcriptSeeds(f) {
		f.Add(s)
	}
	f.Add([]byte("data: a\r\ndata: b\r\n\r\nevent: e\nid: 1\nretry: 5\n: c\n\n"))
	f.Fuzz(func(t *testing.T, in []byte) {
		got, err := readAll(t, bytes.NewReader(in), 4096)
		got1, err1 := readAll(t, iotest.OneByteReader(bytes.NewReader(in)), 4096)
		if (err == nil) != (err1 == nil) {
			t.Fatalf("whole: %v, byte by byte: %v", err, err1)
		}
		if diff := cmp.Diff(got, got1); diff != "" {
			t.Fatalf("whole vs byte by byte (-whole +bytes):\n%s", diff)
		}
		if err != nil {
			return
		}
		var enc bytes.Buffer
		for _, ev := range got {
			if ev.Type != "" && ev.Type != "error" && !strings.ContainsAny(ev.Type, "\r\n") {
				enc.WriteString("event: " + ev.Type + "\n")
			} else if ev.Type != "" {
				return // not representable by a plain re-encoding
			}
			for _, line := range strings.Split(ev.Data, "\n") {
				if strings.Contains(line, "\r") {
					return
				}
				enc.WriteString("data: " + line + "\n")
			}
			enc.WriteString("\n")
		}
		again, err := readAll(t, &enc, 1<<20)
		if err != nil {
			t.Fatal(err)
		}
		for i := range got {
			got[i].ID, got[i].HasID, got[i].Retry = "", false, -1
		}
		if diff := cmp.Diff(got, again); diff != "" {
			t.Fatalf("re-encoded events (-first +again):\n%s", diff)
		}
	})
}

func BenchmarkSSEReader(b *testing.B) {
	body := loadTranscript(b, filepath.Join(transcriptDir, "vllm", "chat_stream_usage.sse"), 0)
	events := bytes.Count(body, []byte("\n\n"))
	r := bytes.NewReader(body)
	s := NewSSEReader(r, 0)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		r.Reset(body)
		s.Reset(r)
		for {
			if _, err := s.Next(); err != nil {
				break
			}
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*events), "ns/event")
}
