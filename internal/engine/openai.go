package engine

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// OpenAIOptions configures an OpenAI client.
type OpenAIOptions struct {
	// BaseURL is the engine's address: "http://127.0.0.1:8000", with or
	// without a trailing "/v1"; "127.0.0.1:8000" means http.
	BaseURL string
	// APIKey, when set, is sent as "Authorization: Bearer <key>". It never
	// appears in an error or in String.
	APIKey string
	// HTTPClient sends the requests; nil means a client on NewTransport.
	HTTPClient *http.Client
	// Dialect selects the engine's request knobs; empty means DialectOpenAI.
	Dialect Dialect
	// MaxLineBytes bounds one SSE line; 0 means DefaultMaxLineBytes.
	MaxLineBytes int
}

// OpenAI is a Client for an engine's OpenAI-compatible HTTP API. It is safe
// for concurrent use.
type OpenAI struct {
	base      string // normalised, without /v1
	shown     string // base with any password masked, for messages
	baseErr   error
	apiKey    string
	hc        *http.Client
	dialect   Dialect
	maxLine   int
	urls      [2]string // APICompletions, APIChat
	modelsURL string
	hdrStream http.Header
	hdrPlain  http.Header
	hdrModels http.Header
}

var _ Client = (*OpenAI)(nil)

// NewTransport returns an HTTP transport for benchmarking: keep-alive with
// an idle pool large enough for ten thousand concurrent streams to one
// engine, no compression (it would delay SSE events), HTTP/1.1 (engines
// serve it; HTTP/2 would multiplex streams over one connection and change
// what is measured), and no response header timeout (a long queue before
// the first token is a result, not an error).
func NewTransport() *http.Transport {
	return &http.Transport{
		Proxy: http.ProxyFromEnvironment,
		DialContext: (&net.Dialer{
			Timeout:   10 * time.Second,
			KeepAlive: 30 * time.Second,
		}).DialContext,
		MaxIdleConns:        0, // no limit
		MaxIdleConnsPerHost: 16384,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
		ForceAttemptHTTP2:   false,
		ReadBufferSize:      8 << 10,
		WriteBufferSize:     8 << 10,
	}
}

// NewOpenAI returns a client for the engine at opts.BaseURL. An invalid
// URL is reported by the first Do or Models call.
func NewOpenAI(opts OpenAIOptions) *OpenAI {
	c := &OpenAI{
		apiKey:  opts.APIKey,
		hc:      opts.HTTPClient,
		dialect: opts.Dialect,
		maxLine: opts.MaxLineBytes,
	}
	if c.hc == nil {
		c.hc = &http.Client{Transport: NewTransport()}
	}
	if c.dialect == "" {
		c.dialect = DialectOpenAI
	}
	c.base, c.shown, c.baseErr = normalizeBaseURL(opts.BaseURL)
	c.urls[0] = c.base + "/v1/completions"
	c.urls[1] = c.base + "/v1/chat/completions"
	c.modelsURL = c.base + "/v1/models"
	c.hdrStream = http.Header{
		"Content-Type": {"application/json"},
		"Accept":       {"text/event-stream"},
	}
	c.hdrPlain = http.Header{
		"Content-Type": {"application/json"},
		"Accept":       {"application/json"},
	}
	c.hdrModels = http.Header{"Accept": {"application/json"}}
	if c.apiKey != "" {
		auth := []string{"Bearer " + c.apiKey}
		for _, h := range []http.Header{c.hdrStream, c.hdrPlain, c.hdrModels} {
			h["Authorization"] = auth
		}
	}
	return c
}

// normalizeBaseURL turns what a user typed into "scheme://host[:port][/path]"
// without a trailing slash or "/v1". It also returns the URL with any
// password masked, for messages.
func normalizeBaseURL(s string) (base, shown string, err error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", "", errors.New("engine: no base URL")
	}
	if !strings.Contains(s, "://") {
		s = "http://" + s
	}
	u, err := url.Parse(s)
	if err != nil {
		// url.Error quotes the input, which may hold a password.
		return "", "", errors.New("engine: base URL is not a URL")
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return "", "", fmt.Errorf("engine: base URL %q: scheme must be http or https", u.Redacted())
	}
	if u.Host == "" {
		return "", "", fmt.Errorf("engine: base URL %q has no host", u.Redacted())
	}
	u.RawQuery, u.Fragment = "", ""
	p := strings.TrimRight(u.Path, "/")
	p = strings.TrimSuffix(p, "/v1")
	u.Path, u.RawPath = strings.TrimRight(p, "/"), ""
	return u.String(), u.Redacted(), nil
}

// BaseURL returns the normalised base URL (without "/v1"), with any
// password in it masked.
func (c *OpenAI) BaseURL() string { return c.shown }

// Dialect returns the client's dialect.
func (c *OpenAI) Dialect() Dialect { return c.dialect }

// String describes the client without its API key.
func (c *OpenAI) String() string {
	key := "none"
	if c.apiKey != "" {
		key = "set"
	}
	return fmt.Sprintf("engine.OpenAI{url: %s, dialect: %s, api key: %s}", c.shown, c.dialect, key)
}

// Do sends req and reads the whole response. See Client.
func (c *OpenAI) Do(ctx context.Context, req Request) (*Response, error) {
	resp := &Response{}
	err := c.do(ctx, req, resp)
	return resp, redact(err, c.apiKey)
}

func (c *OpenAI) do(ctx context.Context, req Request, resp *Response) error {
	if c.baseErr != nil {
		return c.baseErr
	}
	target := c.urls[0]
	if req.API == APIChat {
		target = c.urls[1]
	} else if req.API != APICompletions && req.API != "" {
		return fmt.Errorf("engine: unknown API %q (valid: completions, chat)", req.API)
	}
	body, err := c.dialect.appendBody(make([]byte, 0, len(req.Prompt)+256), req)
	if err != nil {
		return err
	}
	hreq, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("engine: %w", err)
	}
	// A copy per request: some RoundTrippers add headers to the request
	// they are given, and a shared map would race.
	if req.Stream {
		hreq.Header = c.hdrStream.Clone()
	} else {
		hreq.Header = c.hdrPlain.Clone()
	}

	resp.Start = time.Now()
	hresp, err := c.hc.Do(hreq)
	if err != nil {
		resp.End = time.Since(resp.Start)
		return c.transportError(ctx, err)
	}
	defer hresp.Body.Close()
	resp.Status = hresp.StatusCode
	if hresp.StatusCode < 200 || hresp.StatusCode > 299 {
		err := statusError(hresp)
		resp.End = time.Since(resp.Start)
		return err
	}
	st := getStreamState(c.maxLine)
	defer putStreamState(st)
	if isEventStream(hresp.Header.Get("Content-Type"), req.Stream) {
		err = st.readStream(ctx, hresp.Body, resp, req.MaxTokens)
	} else {
		err = st.readBody(ctx, hresp.Body, resp)
	}
	st.finish(resp)
	return err
}

// isEventStream decides how to read a 2xx body: as SSE when the engine
// says text/event-stream, or when a stream was asked for and the engine
// did not say JSON.
func isEventStream(contentType string, asked bool) bool {
	ct := strings.ToLower(contentType)
	if strings.HasPrefix(ct, "text/event-stream") {
		return true
	}
	return asked && !strings.HasPrefix(ct, "application/json")
}

// transportError explains a failed request: the context's error when it
// ended, else which address could not be reached and why.
func (c *OpenAI) transportError(ctx context.Context, err error) error {
	if ctxErr := ctx.Err(); ctxErr != nil {
		return fmt.Errorf("engine: request to %s: %w", c.shown, ctxErr)
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	return &reachError{url: c.shown, err: err}
}

// Models lists the model ids the engine serves (GET /v1/models). It is a
// cheap check that the engine is up and serves the model a run names.
func (c *OpenAI) Models(ctx context.Context) ([]string, error) {
	ids, err := c.models(ctx)
	return ids, redact(err, c.apiKey)
}

func (c *OpenAI) models(ctx context.Context) ([]string, error) {
	if c.baseErr != nil {
		return nil, c.baseErr
	}
	hreq, err := http.NewRequestWithContext(ctx, http.MethodGet, c.modelsURL, nil)
	if err != nil {
		return nil, fmt.Errorf("engine: %w", err)
	}
	hreq.Header = c.hdrModels.Clone()
	hresp, err := c.hc.Do(hreq)
	if err != nil {
		return nil, c.transportError(ctx, err)
	}
	defer hresp.Body.Close()
	if hresp.StatusCode < 200 || hresp.StatusCode > 299 {
		return nil, statusError(hresp)
	}
	var list struct {
		Data []struct {
			ID string `json:"id"`
		} `json:"data"`
	}
	body, err := io.ReadAll(io.LimitReader(hresp.Body, 16<<20))
	if err != nil {
		return nil, fmt.Errorf("engine: reading %s/v1/models: %w", c.shown, err)
	}
	if err := json.Unmarshal(body, &list); err != nil {
		return nil, fmt.Errorf("engine: %s/v1/models: not a model list: %v: %s", c.shown, err, plainText(body))
	}
	ids := make([]string, 0, len(list.Data))
	for _, m := range list.Data {
		ids = append(ids, m.ID)
	}
	return ids, nil
}
