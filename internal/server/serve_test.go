package server

import (
	"context"
	"net"
	"net/http"
	"testing"

	"github.com/muaibench/muaibench/internal/infer/sched/schedtest"
)

func TestServeStopsWithContext(t *testing.T) {
	t.Parallel()
	s, err := New(Options{Models: []ModelSpec{{Name: "fake", Model: alphabet(64), Tokenizer: schedtest.Tokenizer{}}}})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, ln) }()
	url := "http://" + ln.Addr().String()
	waitFor(t, "health", func() bool {
		resp, err := http.Get(url + "/health")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
	r := post(t, url+"/v1/completions", `{"model":"fake","prompt":"ab","max_tokens":2}`)
	if c := decodeChunk(t, string(r.body)); r.status != 200 || c.Choices[0].Text != "cd" {
		t.Fatalf("got %d %s", r.status, r.body)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Serve: got %v, want nil after the context ends", err)
	}
	if _, err := http.Get(url + "/health"); err == nil {
		t.Error("still serving after Serve returned")
	}
}
