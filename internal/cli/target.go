package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/muaibench/muaibench/internal/config"
	"github.com/muaibench/muaibench/internal/engine"
	"github.com/muaibench/muaibench/internal/report"
	"github.com/muaibench/muaibench/internal/tokenizer"
	"github.com/spf13/cobra"
)

// targetFlags are the flags every suite has for choosing its engine.
type targetFlags struct {
	engine    string
	model     string
	dialect   string
	tokenizer string
}

func (t *targetFlags) register(cmd *cobra.Command) {
	fs := cmd.Flags()
	fs.StringVar(&t.engine, "engine", "", "engine to benchmark: a name from the config's engines, or a URL such as http://127.0.0.1:8000 (default: the embedded engine, launched for the run)")
	fs.StringVar(&t.model, "model", "", "model name to request (default: the config's, or the engine's only model)")
	fs.StringVar(&t.dialect, "dialect", "", "the engine's OpenAI dialect: "+dialectNames()+" (default: from the config, else detected from /v1/models)")
	fs.StringVar(&t.tokenizer, "tokenizer", "", "tokenizer for exact prompt lengths: gpt2 or the path of a Hugging Face tokenizer.json")
}

func dialectNames() string {
	var names []string
	for _, d := range engine.Dialects() {
		names = append(names, string(d))
	}
	return strings.Join(names, ", ")
}

// target is an engine ready to be benchmarked.
type target struct {
	client     *engine.OpenAI
	info       report.EngineInfo
	tok        tokenizer.Tokenizer
	contextLen int
	proc       *engine.Process
}

// Close stops the engine if muaibench launched it.
func (t *target) Close() {
	if t.proc != nil {
		t.proc.Stop()
	}
}

// childEnv is added to a launched embedded engine's environment; tests set
// it so that the test binary can stand in for muaibench.
var childEnv []string

// openTarget resolves the engine from the configuration and flags, starts
// it when it is the embedded one, checks that it is reachable and serves
// the model, and loads the tokenizer. Every error is a usage error: nothing
// has been measured yet.
func openTarget(ctx context.Context, f *config.File, tf *targetFlags, stderr io.Writer) (*target, error) {
	cfg := f.Config
	name := cfg.Benchmark.Engine
	keyPrefix := "engines." + name
	var entry config.Engine
	switch {
	case strings.HasPrefix(tf.engine, "http://") || strings.HasPrefix(tf.engine, "https://"):
		name, keyPrefix = hostName(tf.engine), "--engine"
		entry = config.Engine{API: "openai", URL: tf.engine}
	case tf.engine != "":
		e, ok := cfg.Engines[tf.engine]
		if !ok {
			return nil, usageErr(fmt.Errorf("--engine %q: not a URL and not an engine of the config (have %s)", tf.engine, engineNames(cfg)))
		}
		name, keyPrefix, entry = tf.engine, "engines."+tf.engine, *e
	default:
		entry = *cfg.Engines[name]
	}
	if tf.model != "" {
		entry.Model = tf.model
	}
	if entry.Model == "" && name == "embedded" {
		entry.Model = cfg.Benchmark.Model
	}
	if tf.dialect != "" {
		entry.Dialect = tf.dialect
	}
	if tf.tokenizer != "" {
		entry.Tokenizer = tf.tokenizer
	}
	apiKey := ""
	if entry.APIKeyEnv != "" {
		apiKey = os.Getenv(entry.APIKeyEnv)
		if apiKey == "" {
			return nil, usageErr(f.KeyError(keyPrefix+".api_key_env", fmt.Errorf("environment variable %s is empty", entry.APIKeyEnv)))
		}
	}

	t := &target{}
	if entry.URL == "" { // the embedded engine, or one with a launch command (launch.go)
		proc, err := launchEntry(ctx, cfg, name, &entry, "", stderr)
		if err != nil {
			return nil, usageErr(err)
		}
		t.proc = proc
		entry.URL = proc.URL
		if entry.Dialect == "" && len(entry.Launch) == 0 {
			entry.Dialect = "vllm"
		}
	}
	fail := func(err error) (*target, error) {
		t.Close()
		return nil, usageErr(err)
	}

	cards, err := fetchModels(ctx, entry.URL, apiKey)
	if err != nil {
		return fail(err)
	}
	if entry.Model == "" {
		if len(cards) != 1 {
			return fail(fmt.Errorf("engine at %s serves %d models (%s): choose one with --model", entry.URL, len(cards), cardIDs(cards)))
		}
		entry.Model = cards[0].ID
	}
	card, ok := findCard(cards, entry.Model)
	if !ok {
		return fail(fmt.Errorf("engine at %s does not serve model %q (it serves: %s)", entry.URL, entry.Model, cardIDs(cards)))
	}
	if entry.Dialect == "" {
		entry.Dialect = detectDialect(card)
		fmt.Fprintf(stderr, "dialect: %s (detected from /v1/models; set --dialect to override)\n", entry.Dialect)
	}
	dialect, err := engine.ParseDialect(entry.Dialect)
	if err != nil {
		return fail(f.KeyError(keyPrefix+".dialect", err))
	}
	if entry.Tokenizer == "" {
		entry.Tokenizer = "gpt2"
		fmt.Fprintf(stderr, "warning: no tokenizer configured for %s; using gpt2, so prompt lengths are exact only for GPT-2-vocabulary models (set --tokenizer PATH/tokenizer.json)\n", entry.Model)
	}
	if entry.Tokenizer == "gpt2" {
		t.tok, err = tokenizer.GPT2()
	} else {
		t.tok, err = tokenizer.LoadHF(entry.Tokenizer)
	}
	if err != nil {
		return fail(f.KeyError(keyPrefix+".tokenizer", err))
	}
	t.client = engine.NewOpenAI(engine.OpenAIOptions{BaseURL: entry.URL, APIKey: apiKey, Dialect: dialect})
	t.contextLen = card.contextLen()
	t.info = report.EngineInfo{
		Name: name, URL: entry.URL, Dialect: string(dialect), Model: entry.Model,
		Launched: t.proc != nil, Card: card.raw, Weights: card.weights(), Tokenizer: t.tok.Name(),
	}
	return t, nil
}

func hostName(u string) string {
	u = strings.TrimPrefix(strings.TrimPrefix(u, "http://"), "https://")
	if i := strings.IndexAny(u, "/"); i >= 0 {
		u = u[:i]
	}
	return strings.NewReplacer(":", "_", ".", "_").Replace(u)
}

func engineNames(cfg *config.Config) string {
	var names []string
	for n := range cfg.Engines {
		names = append(names, n)
	}
	return strings.Join(names, ", ")
}

// modelCard is one entry of an engine's /v1/models list.
type modelCard struct {
	ID  string
	raw json.RawMessage
	m   map[string]any
}

// fetchModels asks the engine which models it serves; this is also the
// reachability check before anything is measured.
func fetchModels(ctx context.Context, base, apiKey string) ([]modelCard, error) {
	u := strings.TrimSuffix(strings.TrimSuffix(base, "/"), "/v1") + "/v1/models"
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, fmt.Errorf("engine URL %q: %w", base, err)
	}
	if apiKey != "" {
		req.Header.Set("Authorization", "Bearer "+apiKey)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("cannot reach the engine at %s: %s", base, rootCause(err))
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("engine at %s answered GET /v1/models with HTTP %d: %.200s", base, resp.StatusCode, strings.TrimSpace(string(body)))
	}
	var list struct {
		Data []json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(body, &list); err != nil {
		return nil, fmt.Errorf("engine at %s: GET /v1/models is not an OpenAI model list: %v", base, err)
	}
	var cards []modelCard
	for _, raw := range list.Data {
		c := modelCard{raw: raw}
		if json.Unmarshal(raw, &c.m) != nil {
			continue
		}
		c.ID, _ = c.m["id"].(string)
		cards = append(cards, c)
	}
	return cards, nil
}

// rootCause strips Go's URL-error wrapping down to what a user can act on.
func rootCause(err error) string {
	msg := err.Error()
	if i := strings.LastIndex(msg, ": "); i >= 0 && strings.Contains(msg, "dial tcp") {
		return msg[i+2:]
	}
	return msg
}

func cardIDs(cards []modelCard) string {
	var ids []string
	for _, c := range cards {
		ids = append(ids, c.ID)
	}
	if len(ids) == 0 {
		return "none"
	}
	return strings.Join(ids, ", ")
}

func findCard(cards []modelCard, model string) (modelCard, bool) {
	for _, c := range cards {
		if c.ID == model {
			return c, true
		}
		if aliases, ok := c.m["aliases"].([]any); ok {
			for _, a := range aliases {
				if a == model {
					return c, true
				}
			}
		}
	}
	return modelCard{}, false
}

// contextLen finds the model's context length in the fields engines use:
// vLLM's max_model_len, llama.cpp's meta.n_ctx, the embedded engine's
// context_length.
func (c modelCard) contextLen() int {
	for _, v := range []any{c.m["max_model_len"], c.m["context_length"], c.m["n_ctx"], lookup(c.m, "meta", "n_ctx")} {
		if f, ok := v.(float64); ok && f > 0 {
			return int(f)
		}
	}
	return 0
}

// weights is the embedded engine's "weights" field: "synthetic" or the
// checkpoint.
func (c modelCard) weights() string {
	for _, v := range []any{c.m["weights"], lookup(c.m, "card", "weights")} {
		if s, ok := v.(string); ok {
			return s
		}
	}
	return ""
}

func lookup(m map[string]any, keys ...string) any {
	var v any = m
	for _, k := range keys {
		mm, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = mm[k]
	}
	return v
}

// detectDialect guesses the engine from its model card's owner.
func detectDialect(c modelCard) string {
	owner, _ := c.m["owned_by"].(string)
	switch owner {
	case "vllm":
		return "vllm"
	case "sglang":
		return "sglang"
	case "llamacpp":
		return "llamacpp"
	case "library", "ollama":
		return "ollama"
	case "tgi", "text-generation-inference":
		return "tgi"
	case "muaibench":
		return "vllm"
	}
	return "openai"
}
