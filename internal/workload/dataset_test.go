package workload

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func shareGPT(t testing.TB, n int) []byte {
	t.Helper()
	type turn struct {
		From  string `json:"from"`
		Value string `json:"value"`
	}
	var convs []map[string]any
	for i := range n {
		convs = append(convs, map[string]any{
			"id": fmt.Sprint(i),
			"conversations": []turn{
				{"human", fmt.Sprintf("Question %d: how do I sort a list of numbers in Python, quickly?", i)},
				{"gpt", strings.Repeat("You can call sorted() on the list. ", i%5+1)},
			},
		})
	}
	convs = append(convs,
		map[string]any{"conversations": []turn{{"human", "a lonely turn with no answer"}}},
		map[string]any{"conversations": []map[string]string{
			{"role": "user", "content": "Role and content keys work as well, do they not?"},
			{"role": "assistant", "content": "Yes, they do work as well as the others."}}},
		map[string]any{"conversations": []turn{{"human", "Hi"}, {"gpt", "Hello there, how can I help?"}}},
	)
	data, err := json.Marshal(convs)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestLoadShareGPT(t *testing.T) {
	t.Parallel()
	tok := gpt2(t)
	path := filepath.Join(t.TempDir(), "sharegpt.json")
	if err := os.WriteFile(path, shareGPT(t, 10), 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := LoadDataset(path, tok, DatasetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// 10 conversations + the role/content one; the one-turn one and the
	// 1-token "Hi" are dropped.
	if len(got) != 11 {
		t.Fatalf("got %d samples, want 11", len(got))
	}
	for _, s := range got {
		if n := len(tok.Encode(s.Prompt)); n != s.InputTokens {
			t.Errorf("InputTokens = %d, want %d for %q", s.InputTokens, n, s.Prompt)
		}
	}
	if want := len(tok.Encode("You can call sorted() on the list. ")); got[0].OutputTokens != want {
		t.Errorf("OutputTokens = %d, want %d", got[0].OutputTokens, want)
	}
	if got[10].Prompt != "Role and content keys work as well, do they not?" {
		t.Errorf("last prompt = %q", got[10].Prompt)
	}
}

func TestDatasetLimitDeterministic(t *testing.T) {
	t.Parallel()
	tok := gpt2(t)
	data := shareGPT(t, 200)
	load := func(seed int64) []Sample {
		s, err := ParseShareGPT(strings.NewReader(string(data)), tok, DatasetOptions{Limit: 20, Seed: seed})
		if err != nil {
			t.Fatal(err)
		}
		if len(s) != 20 {
			t.Fatalf("got %d samples, want 20", len(s))
		}
		return s
	}
	a, b, c := load(1), load(1), load(2)
	if diff := cmp.Diff(a, b); diff != "" {
		t.Errorf("same seed, different samples (-a +b):\n%s", diff)
	}
	if cmp.Equal(a, c) {
		t.Error("seeds 1 and 2 gave the same sample")
	}
}

func TestParseJSONL(t *testing.T) {
	t.Parallel()
	tok := gpt2(t)
	in := `{"prompt": "Tell me a story about a brave little toaster.", "output_tokens": 128}

{"prompt": "Summarise the plot of Hamlet in two lines.", "max_tokens": 64}
{"prompt": "Name three primary colours, please.", "completion": "Red, yellow and blue are the three."}
{"prompt": "What is two plus two, exactly?"}
`
	got, err := ParseJSONL(strings.NewReader(in), tok, DatasetOptions{OutputTokens: 32})
	if err != nil {
		t.Fatal(err)
	}
	var outs []int
	for _, s := range got {
		outs = append(outs, s.OutputTokens)
	}
	want := []int{128, 64, len(tok.Encode("Red, yellow and blue are the three.")), 32}
	if diff := cmp.Diff(want, outs); diff != "" {
		t.Errorf("output lengths (-want +got):\n%s", diff)
	}

	for _, tt := range []struct{ name, in, want string }{
		{"no output", `{"prompt": "What is two plus two, exactly?"}`, "line 1: no output length"},
		{"no prompt", `{"output_tokens": 3}`, `line 1: no "prompt"`},
		{"bad json", "{\"prompt\": \"ok ok ok ok\", \"output_tokens\": 9}\n{oops", "line 2"},
		{"all filtered", `{"prompt": "Hi", "output_tokens": 9}`, "no entry within the length limits"},
	} {
		_, err := ParseJSONL(strings.NewReader(tt.in), tok, DatasetOptions{})
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: error = %v, want one containing %q", tt.name, err, tt.want)
		}
	}
}

func TestDatasetFilters(t *testing.T) {
	t.Parallel()
	o := DatasetOptions{}.withDefaults()
	for _, tt := range []struct {
		s    Sample
		want bool
	}{
		{Sample{InputTokens: 10, OutputTokens: 10}, true},
		{Sample{InputTokens: 3, OutputTokens: 10}, false},
		{Sample{InputTokens: 10, OutputTokens: 3}, false},
		{Sample{InputTokens: 1025, OutputTokens: 10}, false},
		{Sample{InputTokens: 1000, OutputTokens: 1049}, false},
	} {
		if got := o.keep(tt.s); got != tt.want {
			t.Errorf("keep(%+v) = %v, want %v", tt.s, got, tt.want)
		}
	}
	if !(DatasetOptions{MaxInputTokens: -1, MaxTotalTokens: -1}).withDefaults().keep(Sample{InputTokens: 5000, OutputTokens: 5000}) {
		t.Error("limits of -1 still filtered")
	}
}

func TestLoadDatasetErrors(t *testing.T) {
	t.Parallel()
	tok := gpt2(t)
	if _, err := LoadDataset(filepath.Join(t.TempDir(), "missing.jsonl"), tok, DatasetOptions{}); err == nil {
		t.Error("missing file: no error")
	}
	if _, err := ParseShareGPT(strings.NewReader(`{"not": "an array"}`), tok, DatasetOptions{}); err == nil {
		t.Error("ShareGPT object: no error")
	}
}

func FuzzParseDataset(f *testing.F) {
	f.Add([]byte(`{"prompt": "hello there my friend", "output_tokens": 12}`))
	f.Add([]byte(`[{"conversations": [{"from": "human", "value": "hello there friend"}, {"from": "gpt", "value": "hi hi hi hi"}]}]`))
	f.Add([]byte(`[{"conversations": 3}]`))
	tok := gpt2(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		_, _ = ParseJSONL(strings.NewReader(string(data)), tok, DatasetOptions{OutputTokens: 8})
		_, _ = ParseShareGPT(strings.NewReader(string(data)), tok, DatasetOptions{})
	})
}
