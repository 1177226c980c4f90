package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/user"
	"strings"
	"time"

	"github.com/vigilmon/vigil/internal/config"
	"github.com/vigilmon/vigil/internal/model"
)

// The API subcommands (silence, ack, unack) are small clients of a running
// collector's HTTP API, like amtool is of Alertmanager's: the collector owns
// the state, and every collector sharing the store sees the change.

const (
	defaultAPIURL = "http://127.0.0.1:8470"
	// apiTimeout bounds one API call; the API answers from memory and one
	// store write, so anything near this is a hung collector or network.
	apiTimeout = 30 * time.Second
)

const apiFlagsHelp = `
Every command talks to a running collector: -url (env VIGIL_URL, default
` + defaultAPIURL + `). Changing state needs an API token from the collector's
api_tokens_file, read from -token-file (a file holding only the token) or
from env VIGIL_API_TOKEN; without api_tokens_file the collector accepts
changes from loopback clients only, with no token.
`

// apiFlags are the connection flags every API subcommand takes.
type apiFlags struct {
	url       string
	tokenFile string
}

func addAPIFlags(fs *flag.FlagSet) *apiFlags {
	f := &apiFlags{}
	def := os.Getenv("VIGIL_URL")
	if def == "" {
		def = defaultAPIURL
	}
	fs.StringVar(&f.url, "url", def, "collector base URL (env VIGIL_URL)")
	fs.StringVar(&f.tokenFile, "token-file", "", "file holding the API token (else env VIGIL_API_TOKEN)")
	return f
}

// apiClient calls the collector API.
type apiClient struct {
	base   string // scheme://host[:port][/prefix], no trailing slash
	token  config.Secret
	client *http.Client
}

func (f *apiFlags) client() (*apiClient, error) {
	u, err := url.Parse(f.url)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("-url %q: want http(s)://host:port", f.url)
	}
	c := &apiClient{base: strings.TrimRight(u.String(), "/"), client: &http.Client{Timeout: apiTimeout}}
	if f.tokenFile != "" {
		if c.token, err = config.ReadSecretFile(f.tokenFile); err != nil {
			return nil, fmt.Errorf("read -token-file: %w", err)
		}
	} else {
		c.token = config.Secret(strings.TrimSpace(os.Getenv("VIGIL_API_TOKEN")))
	}
	return c, nil
}

// apiError is an answer outside 2xx. Its text is the API's error field, which
// says what to fix.
type apiError struct {
	status int
	msg    string
}

func (e *apiError) Error() string { return fmt.Sprintf("%s (HTTP %d)", e.msg, e.status) }

// call sends body (nil: none) as JSON and decodes a 2xx answer into out (nil:
// discard it).
func (c *apiClient) call(method, path string, query url.Values, body, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return fmt.Errorf("encode request: %w", err)
		}
		rd = bytes.NewReader(b)
	}
	u := c.base + path
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	req, err := http.NewRequestWithContext(context.Background(), method, u, rd)
	if err != nil {
		return fmt.Errorf("build request: %w", err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token.Reveal())
	}
	req.Header.Set("User-Agent", "vigil-collector-cli/"+version)
	resp, err := c.client.Do(req)
	if err != nil {
		return fmt.Errorf("call collector: %w", err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return fmt.Errorf("read answer of %s %s: %w", method, path, err)
	}
	if resp.StatusCode/100 != 2 {
		var e model.ErrorResponse
		if json.Unmarshal(data, &e) == nil && e.Error != "" {
			return &apiError{status: resp.StatusCode, msg: e.Error}
		}
		// Not the collector API answering: a proxy, or a collector without
		// alerting (404 page not found).
		msg := strings.TrimSpace(string(data))
		if len(msg) > 200 {
			msg = msg[:200] + "…"
		}
		return &apiError{status: resp.StatusCode, msg: fmt.Sprintf("%s %s: %s", method, path, msg)}
	}
	if out == nil || resp.StatusCode == http.StatusNoContent {
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("decode answer of %s %s: %w", method, path, err)
	}
	return nil
}

// parseCommandFlags parses args; done reports that the command should exit
// with code (0 after -h, 2 on a usage error).
func parseCommandFlags(fs *flag.FlagSet, args []string) (code int, done bool) {
	err := fs.Parse(args)
	switch {
	case errors.Is(err, flag.ErrHelp):
		return 0, true
	case err != nil:
		return 2, true
	}
	return 0, false
}

// commandUsage sets fs's usage to text followed by the flags.
func commandUsage(fs *flag.FlagSet, stderr io.Writer, text string) {
	fs.Usage = func() {
		fmt.Fprint(stderr, text)
		fmt.Fprintln(stderr, "\nFlags:")
		fs.PrintDefaults()
	}
}

// loginName is the default author of silences and acknowledgements.
func loginName() string {
	if u, err := user.Current(); err == nil && u.Username != "" {
		return u.Username
	}
	return os.Getenv("USER")
}

// oneLine keeps a user-written comment on one table row.
func oneLine(s string) string {
	return strings.Join(strings.FieldsFunc(s, func(r rune) bool { return r < ' ' || r == 0x7f }), " ")
}
