package enginetest_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/muaibench/muaibench/internal/engine/enginetest"
)

func post(t *testing.T, url, body string) (*http.Response, string) {
	t.Helper()
	resp, err := http.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil && !strings.Contains(err.Error(), "reset") {
		t.Fatal(err)
	}
	return resp, string(b)
}

func TestServer(t *testing.T) {
	t.Parallel()
	srv := enginetest.NewServer(t, enginetest.Options{Model: "m", TokensPerChunk: 2, Token: "x"})
	tests := []struct {
		name, path, body string
		want             []string
	}{
		{"completions stream obeys max_tokens", "/v1/completions", `{"prompt":"abcdefgh","max_tokens":5,"stream":true,"stream_options":{"include_usage":true}}`,
			[]string{`"text":"xx"`, `"text":"x"`, `"finish_reason":"length"`, `"usage":{"prompt_tokens":2,"completion_tokens":5,"total_tokens":7}`, "data: [DONE]"}},
		{"chat stream has a role chunk", "/v1/chat/completions", `{"messages":[{"role":"user","content":"hi"}],"max_tokens":2,"stream":true}`,
			[]string{`"delta":{"role":"assistant","content":""}`, `"delta":{"content":"xx"}`, "data: [DONE]"}},
		{"non-streamed chat", "/v1/chat/completions", `{"messages":[],"max_tokens":3}`,
			[]string{`"content":"xxx"`, `"completion_tokens":3`}},
		{"default length", "/v1/completions", `{"prompt":"p"}`, []string{`"text":"` + strings.Repeat("x", 16) + `"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := post(t, srv.URL+tt.path, tt.body)
			if resp.StatusCode != 200 {
				t.Fatalf("got status %d: %s", resp.StatusCode, body)
			}
			for _, w := range tt.want {
				if !strings.Contains(body, w) {
					t.Errorf("got body\n%s\nwant it to contain %s", body, w)
				}
			}
			if strings.Contains(tt.body, `"stream_options"`) == false && strings.Contains(body, `"usage"`) && strings.Contains(tt.body, `"stream":true`) {
				t.Errorf("got usage in a stream that did not ask for it:\n%s", body)
			}
		})
	}
	if got := srv.Requests(); got != int64(len(tests)) {
		t.Errorf("got %d requests counted, want %d", got, len(tests))
	}
	if srv.LastBody()["prompt"] != "p" {
		t.Errorf("got last body %v, want the last request's", srv.LastBody())
	}

	for _, path := range []string{"/health", "/v1/models"} {
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		var v map[string]any
		if err := json.NewDecoder(resp.Body).Decode(&v); err != nil || resp.StatusCode != 200 {
			t.Errorf("GET %s: status %d, %v", path, resp.StatusCode, err)
		}
		resp.Body.Close()
	}
	if srv.HealthRequests() != 1 || srv.ModelRequests() != 1 {
		t.Errorf("got %d health and %d model requests, want 1 and 1", srv.HealthRequests(), srv.ModelRequests())
	}
}

func TestServerFailures(t *testing.T) {
	t.Parallel()
	tests := []struct {
		fail       enginetest.Failure
		wantStatus int
		want       string
	}{
		{enginetest.Failure{Mode: enginetest.FailStatus, Status: 429, Message: "slow down"}, 429, `"message":"slow down"`},
		{enginetest.Failure{Mode: enginetest.FailMidStream, AfterTokens: 1}, 200, `data: {"error":{"code":500,"message":"injected failure"`},
		{enginetest.Failure{Mode: enginetest.FailMalformed}, 200, `data: {"choices":[{"text":"oops`},
		{enginetest.Failure{Mode: enginetest.FailNoDone}, 200, `"finish_reason":"length"`},
	}
	for _, tt := range tests {
		srv := enginetest.NewServer(t, enginetest.Options{Fail: tt.fail})
		resp, body := post(t, srv.URL+"/v1/completions", `{"prompt":"p","max_tokens":2,"stream":true}`)
		if resp.StatusCode != tt.wantStatus || !strings.Contains(body, tt.want) {
			t.Errorf("mode %d: got %d\n%s\nwant %d and %s", tt.fail.Mode, resp.StatusCode, body, tt.wantStatus, tt.want)
		}
		if tt.fail.Mode != enginetest.FailStatus && tt.fail.Mode != enginetest.FailNoDone && strings.Contains(body, "[DONE]") {
			t.Errorf("mode %d: got [DONE] after a failure", tt.fail.Mode)
		}
		if tt.fail.Mode == enginetest.FailNoDone && strings.Contains(body, "[DONE]") {
			t.Errorf("got [DONE], want none")
		}
	}
}

// TestServerSleepInjected checks that an injected Sleep replaces real
// waiting: TTFT from the request's arrival, each ITL from the previous
// chunk.
func TestServerSleepInjected(t *testing.T) {
	t.Parallel()
	var (
		mu    sync.Mutex
		asked []time.Duration
	)
	srv := enginetest.NewServer(t, enginetest.Options{TTFT: time.Hour, ITL: time.Hour, Sleep: func(ctx context.Context, d time.Duration) error {
		mu.Lock()
		defer mu.Unlock()
		asked = append(asked, d)
		return nil
	}})
	_, body := post(t, srv.URL+"/v1/completions", `{"prompt":"p","max_tokens":3,"stream":true}`)
	if !strings.Contains(body, "[DONE]") {
		t.Fatalf("got body %s", body)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(asked) != 3 || asked[0] < 59*time.Minute || asked[1] < 59*time.Minute || asked[2] < 59*time.Minute {
		t.Errorf("got sleeps %v, want about 1h each", asked)
	}
	if got := srv.SendTimes(); len(got) != 3 {
		t.Errorf("got %d send times, want 3", len(got))
	}
}
