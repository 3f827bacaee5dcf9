package server

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/muaibench/muaibench/internal/infer/sched"
	"github.com/muaibench/muaibench/internal/infer/sched/schedtest"
)

// TestLoadWithDisconnects runs 32 concurrent streaming clients against a
// KV pool too small for all of them, a quarter of which hang up after the
// third event. Afterwards nothing may be left: no request running or
// waiting, no KV block held, no goroutine more than before. It is not
// parallel, so the goroutine count is its own.
func TestLoadWithDisconnects(t *testing.T) {
	const (
		clients   = 32
		maxTokens = 60
	)
	m := schedtest.NewModel(257, 256)
	// One layer, one float, 16 tokens a block: 128 bytes a block. Each
	// request needs 5 blocks (17 prompt + 60 tokens); the pool holds 4
	// requests' worth, so most of them wait.
	const blocksEach, fit = (len("request number 00") + maxTokens + 15) / 16, 4
	s := startServer(t, Options{
		Models: []ModelSpec{{Name: "fake", Model: m, Tokenizer: schedtest.Tokenizer{}}},
		Sched:  sched.Options{MaxSeqs: 8, KVCacheBytes: int64(fit * blocksEach * 128)},
	})
	tr := &http.Transport{MaxIdleConnsPerHost: clients}
	client := &http.Client{Transport: tr}
	before := runtime.NumGoroutine()

	var wg sync.WaitGroup
	errs := make(chan error, clients)
	for i := range clients {
		wg.Go(func() {
			hangUp := i%4 == 0
			if err := loadClient(client, s.url, i, maxTokens, hangUp); err != nil {
				errs <- fmt.Errorf("client %d: %w", i, err)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	tr.CloseIdleConnections()

	waitFor(t, "the scheduler to drain", func() bool {
		st := s.Stats()["fake"]
		return st.Running == 0 && st.Waiting == 0 && st.KVUsedBytes == 0
	})
	if free, total := s.models["fake"].sched.Pool().FreeBlocks(), s.models["fake"].sched.Pool().TotalBlocks(); free != total {
		t.Errorf("KV pool: %d of %d blocks free", free, total)
	}
	deadline := time.Now().Add(10 * time.Second)
	for runtime.NumGoroutine() > before {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			t.Fatalf("goroutines: %d now, %d before\n%s", runtime.NumGoroutine(), before, buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(time.Millisecond)
	}
	// More than fit in one step would mean blocks handed out twice; fewer
	// than two, no batching.
	if _, seqs, _ := m.Calls(); seqs < 2 || seqs > fit {
		t.Errorf("most sequences in a step: got %d, want 2 to %d", seqs, fit)
	}
}

// loadClient streams one request; with hangUp it goes away after the
// third event, else it checks the whole stream.
func loadClient(client *http.Client, url string, i, maxTokens int, hangUp bool) error {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	body := fmt.Sprintf(`{"model":"fake","prompt":"request number %02d","max_tokens":%d,"ignore_eos":true,"stream":true,"stream_options":{"include_usage":true},"seed":%d}`,
		i, maxTokens, i)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url+"/v1/completions", strings.NewReader(body))
	if err != nil {
		return err
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("status %d", resp.StatusCode)
	}
	sc := bufio.NewScanner(resp.Body)
	events := 0
	var u *usage
	done := false
	for sc.Scan() {
		data, ok := strings.CutPrefix(sc.Text(), "data: ")
		if !ok {
			continue
		}
		events++
		if hangUp && events == 3 {
			return nil // the deferred cancel closes the connection
		}
		if data == "[DONE]" {
			done = true
			break
		}
		var c struct {
			Usage *usage `json:"usage"`
		}
		if err := json.Unmarshal([]byte(data), &c); err != nil {
			return err
		}
		if c.Usage != nil {
			u = c.Usage
		}
	}
	if !done || u == nil || u.CompletionTokens != maxTokens || u.PromptTokens != len("request number 00") {
		return fmt.Errorf("stream ended without [DONE] or with usage %+v", u)
	}
	return sc.Err()
}

// TestDisconnectFreesBlocks holds the model after the first token, hangs
// up, and checks the request leaves the batch with its blocks.
func TestDisconnectFreesBlocks(t *testing.T) {
	t.Parallel()
	ticks := make(chan struct{})
	m := schedtest.NewModel(257, 256)
	var once sync.Once
	m.Next = func(hist []int, out []float32) {
		first := false
		once.Do(func() { first = true })
		if !first {
			<-ticks // one step per tick after the first token
		}
		clear(out)
		out['x'] = 100
	}
	s := startServer(t, Options{Models: []ModelSpec{{Name: "fake", Model: m, Tokenizer: schedtest.Tokenizer{}}}})
	t.Cleanup(func() { close(ticks) }) // runs before the server stops

	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, s.url+"/v1/completions",
		strings.NewReader(`{"model":"fake","prompt":"abc","max_tokens":200,"ignore_eos":true,"stream":true}`))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() && !strings.HasPrefix(sc.Text(), "data: ") {
	}
	if st := s.Stats()["fake"]; st.Running != 1 || st.KVUsedBytes == 0 {
		t.Fatalf("while streaming: %+v, want one request holding blocks", st)
	}
	cancel()
	resp.Body.Close()
	// Let the model take one step at a time until the request is gone.
	waitFor(t, "the request to leave the batch", func() bool {
		select {
		case ticks <- struct{}{}:
		default:
		}
		st := s.Stats()["fake"]
		return st.Running == 0 && st.KVUsedBytes == 0
	})
	if st := s.Stats()["fake"]; st.GenerationTokens >= 200 {
		t.Errorf("generated %d tokens: the request ran to its end", st.GenerationTokens)
	}
}
