package workload

import (
	"bufio"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"strings"

	"github.com/muaibench/muaibench/internal/tokenizer"
)

// Sample is one request of a dataset: a prompt and the output length to
// ask for.
type Sample struct {
	Prompt string `json:"prompt"`
	// InputTokens is the length of Prompt with the tokenizer used to load.
	InputTokens int `json:"input_tokens"`
	// OutputTokens is the number of output tokens to request: the length
	// of the dataset's own answer, or the one the file gives.
	OutputTokens int `json:"output_tokens"`
}

// DatasetOptions filter and sample a dataset. Zero values take the
// defaults of vLLM's benchmark_serving, so that results compare.
type DatasetOptions struct {
	// Limit keeps a seeded random sample of this many usable entries; 0
	// keeps them all, in file order.
	Limit int
	Seed  int64
	// MinTokens drops entries whose prompt or output is shorter (default 4).
	MinTokens int
	// MaxInputTokens drops longer prompts (default 1024; -1: no limit).
	MaxInputTokens int
	// MaxTotalTokens drops entries whose input plus output is longer
	// (default 2048; -1: no limit).
	MaxTotalTokens int
	// OutputTokens is the output length of JSON Lines entries that give
	// none; 0 makes such an entry an error.
	OutputTokens int
}

func (o DatasetOptions) withDefaults() DatasetOptions {
	if o.MinTokens == 0 {
		o.MinTokens = 4
	}
	if o.MaxInputTokens == 0 {
		o.MaxInputTokens = 1024
	}
	if o.MaxTotalTokens == 0 {
		o.MaxTotalTokens = 2048
	}
	return o
}

func (o DatasetOptions) keep(s Sample) bool {
	switch {
	case s.InputTokens < o.MinTokens || s.OutputTokens < o.MinTokens:
		return false
	case o.MaxInputTokens > 0 && s.InputTokens > o.MaxInputTokens:
		return false
	case o.MaxTotalTokens > 0 && s.InputTokens+s.OutputTokens > o.MaxTotalTokens:
		return false
	}
	return true
}

// LoadDataset reads a dataset file: a ShareGPT JSON array when the name
// ends in .json, else JSON Lines (see ParseJSONL).
func LoadDataset(path string, tok tokenizer.Tokenizer, opts DatasetOptions) ([]Sample, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("workload: %w", err)
	}
	defer f.Close()
	var s []Sample
	if strings.HasSuffix(strings.ToLower(path), ".json") {
		s, err = ParseShareGPT(f, tok, opts)
	} else {
		s, err = ParseJSONL(f, tok, opts)
	}
	if err != nil {
		return nil, fmt.Errorf("%w (%s)", err, path)
	}
	return s, nil
}

// sampler keeps the entries that pass the filters: all of them, or a
// seeded reservoir sample of opts.Limit.
type sampler struct {
	opts DatasetOptions
	rng  *rand.Rand
	seen int
	out  []Sample
}

func newSampler(opts DatasetOptions) *sampler {
	opts = opts.withDefaults()
	return &sampler{opts: opts, rng: rand.New(rand.NewPCG(uint64(opts.Seed), 0x5eed))}
}

func (s *sampler) add(x Sample) {
	if !s.opts.keep(x) {
		return
	}
	s.seen++
	switch {
	case s.opts.Limit <= 0 || len(s.out) < s.opts.Limit:
		s.out = append(s.out, x)
	default:
		if j := s.rng.IntN(s.seen); j < s.opts.Limit {
			s.out[j] = x
		}
	}
}

func (s *sampler) result() ([]Sample, error) {
	if len(s.out) == 0 {
		return nil, errors.New("workload: dataset has no entry within the length limits")
	}
	return s.out, nil
}

// ParseShareGPT reads a ShareGPT file: a JSON array of conversations,
// each {"conversations": [{"from": "human", "value": ...}, {"from": "gpt",
// "value": ...}, ...]} ("role"/"content" keys work too). As in vLLM's
// benchmark, the first turn is the prompt and the length of the second is
// the output length; conversations of fewer than two turns are skipped.
// The array is read as a stream, one conversation at a time.
func ParseShareGPT(r io.Reader, tok tokenizer.Tokenizer, opts DatasetOptions) ([]Sample, error) {
	dec := json.NewDecoder(bufio.NewReader(r))
	if t, err := dec.Token(); err != nil || t != json.Delim('[') {
		return nil, fmt.Errorf("workload: ShareGPT dataset must be a JSON array")
	}
	type turn struct {
		From    string `json:"from"`
		Value   string `json:"value"`
		Role    string `json:"role"`
		Content string `json:"content"`
	}
	s := newSampler(opts)
	for i := 0; dec.More(); i++ {
		var conv struct {
			Conversations []turn `json:"conversations"`
		}
		if err := dec.Decode(&conv); err != nil {
			return nil, fmt.Errorf("workload: ShareGPT entry %d: %w", i, err)
		}
		if len(conv.Conversations) < 2 {
			continue
		}
		text := func(t turn) string { return t.Value + t.Content }
		p := text(conv.Conversations[0])
		s.add(Sample{
			Prompt:       p,
			InputTokens:  len(tok.Encode(p)),
			OutputTokens: len(tok.Encode(text(conv.Conversations[1]))),
		})
	}
	return s.result()
}

// ParseJSONL reads JSON Lines, one request per line:
//
//	{"prompt": "...", "output_tokens": 128}
//
// The output length may also be given as "max_tokens", or as the text of
// an answer in "completion" or "output" whose tokens are counted; without
// any, DatasetOptions.OutputTokens applies. Blank lines are skipped.
func ParseJSONL(r io.Reader, tok tokenizer.Tokenizer, opts DatasetOptions) ([]Sample, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 64<<20)
	s := newSampler(opts)
	for line := 1; sc.Scan(); line++ {
		b := sc.Bytes()
		if len(strings.TrimSpace(string(b))) == 0 {
			continue
		}
		var e struct {
			Prompt       *string `json:"prompt"`
			OutputTokens int     `json:"output_tokens"`
			MaxTokens    int     `json:"max_tokens"`
			Completion   *string `json:"completion"`
			Output       *string `json:"output"`
		}
		if err := json.Unmarshal(b, &e); err != nil {
			return nil, fmt.Errorf("workload: dataset line %d: %w", line, err)
		}
		if e.Prompt == nil {
			return nil, fmt.Errorf("workload: dataset line %d: no \"prompt\"", line)
		}
		out := cmp.Or(e.OutputTokens, e.MaxTokens)
		switch {
		case out > 0:
		case e.Completion != nil:
			out = len(tok.Encode(*e.Completion))
		case e.Output != nil:
			out = len(tok.Encode(*e.Output))
		case opts.OutputTokens > 0:
			out = opts.OutputTokens
		default:
			return nil, fmt.Errorf("workload: dataset line %d: no output length (output_tokens, max_tokens, completion or output) and no default", line)
		}
		s.add(Sample{Prompt: *e.Prompt, InputTokens: len(tok.Encode(*e.Prompt)), OutputTokens: out})
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("workload: dataset: %w", err)
	}
	return s.result()
}
