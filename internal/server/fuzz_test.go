package server

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/muaibench/muaibench/internal/infer/sched/schedtest"
)

// FuzzRequest feeds arbitrary bodies to both generation routes of a server
// whose schedulers are not running: every body must get a JSON answer
// with a known status, never a panic or a hang.
func FuzzRequest(f *testing.F) {
	for _, seed := range []string{
		`{"model":"fake","prompt":"hi","max_tokens":3}`,
		`{"model":"fake","prompt":["a","b"],"stop":["x"],"stream":true,"stream_options":{"include_usage":true}}`,
		`{"model":"fake","prompt":[[1,2],[3]],"temperature":0.5,"top_k":-1,"top_p":0.9,"seed":7}`,
		`{"model":"fake","messages":[{"role":"user","content":[{"type":"text","text":"hi"}]}]}`,
		`{"model":"fake","prompt":`,
		`{"model":"nope"}`,
		`[]`,
	} {
		f.Add(seed)
	}
	s, err := New(Options{Models: []ModelSpec{{Name: "fake", Model: alphabet(64), Tokenizer: schedtest.Tokenizer{}}}})
	if err != nil {
		f.Fatal(err)
	}
	h := s.Handler()
	f.Fuzz(func(t *testing.T, body string) {
		for _, path := range []string{"/v1/completions", "/v1/chat/completions"} {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, path, strings.NewReader(body)))
			switch rec.Code {
			case 400, 404, 413, 503:
			default:
				t.Fatalf("%s %q: status %d", path, body, rec.Code)
			}
			if !strings.Contains(rec.Body.String(), `"error"`) {
				t.Fatalf("%s %q: no error object in %q", path, body, rec.Body.String())
			}
		}
	})
}
