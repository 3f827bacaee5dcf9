package engine_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/muaibench/muaibench/internal/engine"
	"github.com/muaibench/muaibench/internal/engine/enginetest"
)

func TestFailures(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		fail       enginetest.Failure
		wantChunks int
		check      func(t *testing.T, err error)
	}{
		{"HTTP 503", enginetest.Failure{Mode: enginetest.FailStatus, Status: 503, Message: "overloaded"}, 0,
			func(t *testing.T, err error) {
				var se *engine.StatusError
				if !errors.As(err, &se) || se.Code != 503 || se.Message != "overloaded" {
					t.Errorf("got %v, want a StatusError 503 overloaded", err)
				}
			}},
		{"error in stream", enginetest.Failure{Mode: enginetest.FailMidStream, AfterTokens: 3, Message: "engine died"}, 3,
			func(t *testing.T, err error) {
				var se *engine.StreamError
				if !errors.As(err, &se) || se.Message != "engine died" {
					t.Errorf("got %v, want a StreamError engine died", err)
				}
			}},
		{"connection reset", enginetest.Failure{Mode: enginetest.FailReset, AfterTokens: 2}, 2,
			func(t *testing.T, err error) {
				if !errors.Is(err, engine.ErrBroken) || !strings.Contains(err.Error(), "response broken after 2 chunks") {
					t.Errorf("got %v, want a broken response after 2 chunks", err)
				}
			}},
		{"malformed chunk", enginetest.Failure{Mode: enginetest.FailMalformed, AfterTokens: 1}, 1,
			func(t *testing.T, err error) {
				if !errors.Is(err, engine.ErrMalformed) || !strings.Contains(err.Error(), "malformed chunk") {
					t.Errorf("got %v, want a malformed chunk error", err)
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := enginetest.NewServer(t, enginetest.Options{ITL: time.Millisecond, Fail: tt.fail})
			resp, err := client(srv.URL).Do(context.Background(), chat(8, true))
			tt.check(t, err)
			if resp == nil {
				t.Fatal("got a nil Response")
			}
			if len(resp.Chunks) != tt.wantChunks {
				t.Errorf("got %d chunks, want %d", len(resp.Chunks), tt.wantChunks)
			}
		})
	}
}

func TestFailEvery(t *testing.T) {
	t.Parallel()
	srv := enginetest.NewServer(t, enginetest.Options{Fail: enginetest.Failure{Mode: enginetest.FailStatus, Every: 3}})
	c := client(srv.URL)
	var failed int
	for range 9 {
		if _, err := c.Do(context.Background(), completion(2, true)); err != nil {
			failed++
		}
	}
	if failed != 3 || srv.Requests() != 9 {
		t.Errorf("got %d failures of %d requests, want 3 of 9", failed, srv.Requests())
	}
}

func TestAPIKeyNeverInErrors(t *testing.T) {
	t.Parallel()
	const key = "sk-very-secret-0123456789"
	// An engine that echoes the key back, as some auth proxies do.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		fmt.Fprintf(w, `{"error":{"message":"bad key %s","type":"invalid_request_error"}}`, r.Header.Get("Authorization"))
	}))
	t.Cleanup(srv.Close)
	c := engine.NewOpenAI(engine.OpenAIOptions{BaseURL: srv.URL, APIKey: key})
	_, err := c.Do(context.Background(), chat(2, true))
	var se *engine.StatusError
	if !errors.As(err, &se) || se.Code != 401 {
		t.Fatalf("got %v, want a StatusError 401", err)
	}
	_, errModels := c.Models(context.Background())
	down := engine.NewOpenAI(engine.OpenAIOptions{BaseURL: closedURL(t), APIKey: key})
	_, errDown := down.Do(context.Background(), chat(2, true))
	withPassword := engine.NewOpenAI(engine.OpenAIOptions{BaseURL: strings.Replace(closedURL(t), "://", "://user:"+key+"@", 1)})
	_, errPassword := withPassword.Models(context.Background())
	for _, s := range []string{err.Error(), se.Message, errModels.Error(), errDown.Error(), c.String(), fmt.Sprintf("%+v", c), fmt.Sprint(err),
		errPassword.Error(), withPassword.String(), withPassword.BaseURL()} {
		if strings.Contains(s, key) {
			t.Errorf("got %q, which holds the API key", s)
		}
	}

	fake := enginetest.NewServer(t, enginetest.Options{})
	ok := engine.NewOpenAI(engine.OpenAIOptions{BaseURL: fake.URL, APIKey: key})
	if _, err := ok.Do(context.Background(), chat(1, true)); err != nil {
		t.Fatal(err)
	}
	if got := fake.LastAuthorization(); got != "Bearer "+key {
		t.Errorf("got Authorization %q, want the bearer key", got)
	}
}

// closedURL returns the URL of a loopback port nothing listens on.
func closedURL(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return "http://" + addr
}

func TestModels(t *testing.T) {
	t.Parallel()
	srv := enginetest.NewServer(t, enginetest.Options{Model: "gpt2"})
	got, err := engine.NewOpenAI(engine.OpenAIOptions{BaseURL: srv.URL + "/v1/"}).Models(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"gpt2"}, got); diff != "" {
		t.Errorf("models (-want +got):\n%s", diff)
	}
	if srv.ModelRequests() != 1 {
		t.Errorf("got %d model requests, want 1", srv.ModelRequests())
	}

	url := closedURL(t)
	_, err = engine.NewOpenAI(engine.OpenAIOptions{BaseURL: url}).Models(context.Background())
	want := "engine: cannot reach " + url + ": connection refused"
	if !errors.Is(err, engine.ErrUnreachable) || err.Error() != want {
		t.Errorf("got error %v, want %q", err, want)
	}
}

// TestErrorEvents covers error events whose data is not an error object.
func TestErrorEvents(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, body, want string }{
		{"event: error with text", "data: {\"choices\":[{\"text\":\"a\"}]}\n\nevent: error\ndata: queue full\n\n", "queue full"},
		{"error field with object", "error: {\"message\":\"slot busy\",\"type\":\"unavailable_error\"}\n\n", "slot busy"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "text/event-stream")
				fmt.Fprint(w, tt.body)
			}))
			t.Cleanup(srv.Close)
			_, err := client(srv.URL).Do(context.Background(), completion(4, true))
			var se *engine.StreamError
			if !errors.As(err, &se) || se.Message != tt.want {
				t.Errorf("got %v, want a StreamError %q", err, tt.want)
			}
		})
	}
}
