// Package opsgenie sends alerts to Opsgenie (or Jira Service Management Ops)
// through the Alert API v2.
//
// Every alert is its own Opsgenie alert with alias = alert ID: a firing alert
// creates it (while it is open, Opsgenie counts a repeated create instead of
// opening another, and keeps the first message and priority), and a resolved
// alert closes it by alias. The API is asynchronous: a well-formed request is
// answered 202 and processed later, so a close of an alias Opsgenie does not
// know still gets 202 there; a 404 on close (what the synchronous JSM API and
// proxies answer for an unknown alias) counts as success too, because an
// alert that is not open is what closing wants.
//
// Partial failures are handled as in pagerduty: a refused request (4xx) does
// not stop the others; a retryable one (network, timeout, 429, 5xx) stops the
// notification and asks for a retry of all of it, which is harmless since
// creates are deduplicated by alias and closing a closed alert changes nothing.
package opsgenie

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"

	"github.com/vigilmon/vigil/collector/alert"
	"github.com/vigilmon/vigil/collector/notify"
	"github.com/vigilmon/vigil/internal/config"
)

// Notifier sends alerts to one Opsgenie integration.
type Notifier struct {
	cfg Config // without the key
	// key is behind a pointer because fmt prints unexported fields raw,
	// bypassing Secret's redaction; a nested pointer prints as an address.
	key    *config.Secret
	base   string // api_url + "/v2/alerts"
	tmpl   *notify.Templates
	client *http.Client
	log    *slog.Logger
}

var _ notify.Notifier = (*Notifier)(nil)

// New returns a Notifier for cfg. client nil means a client with cfg.Timeout;
// log nil discards. It reads api_key_file once, here.
func New(cfg Config, client *http.Client, log *slog.Logger) (*Notifier, error) {
	if errs := cfg.Validate(); len(errs) > 0 {
		return nil, notify.ConfigError("opsgenie", errs)
	}
	key, err := cfg.apiKey()
	if err != nil {
		return nil, fmt.Errorf("load opsgenie config: %w", err)
	}
	if client == nil {
		client = &http.Client{Timeout: cfg.Timeout}
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	cfg.APIKey = ""
	return &Notifier{
		cfg: cfg, key: &key, base: strings.TrimSuffix(cfg.APIURL, "/") + "/v2/alerts",
		tmpl: notify.NewTemplates(), client: client, log: log.With("integration", "opsgenie"),
	}, nil
}

// Notify creates an Opsgenie alert per firing alert and closes one per
// resolved alert (see the package doc for partial failures).
func (n *Notifier) Notify(ctx context.Context, alerts []alert.Alert) (retry bool, err error) {
	g := notify.GroupFrom(ctx)
	var errs []error
	for i, a := range alerts {
		var what string
		switch a.State {
		case alert.Firing:
			what = "create"
			retry, err = n.post(ctx, n.base, n.newCreate(g, a), false)
		case alert.Resolved:
			what = "close"
			u := n.base + "/" + url.PathEscape(a.ID) + "/close?identifierType=alias"
			retry, err = n.post(ctx, u, n.newClose(a), true)
		default:
			n.log.Debug("nothing to send for alert state", "alert_id", a.ID, "state", a.State)
			continue
		}
		if err == nil {
			n.log.Debug("request accepted", "request", what, "alias", a.ID)
			continue
		}
		errs = append(errs, fmt.Errorf("%s alert %q: %w", what, a.ID, err))
		if retry {
			// The API or the way to it is failing; the remaining requests
			// would most likely fail the same way, one timeout each.
			if rest := len(alerts) - i - 1; rest > 0 {
				errs = append(errs, fmt.Errorf("%d more alerts not sent", rest))
			}
			return true, fmt.Errorf("send opsgenie requests: %w", errors.Join(errs...))
		}
	}
	if len(errs) > 0 {
		return false, fmt.Errorf("send opsgenie requests: %w", errors.Join(errs...))
	}
	return false, nil
}

// post sends one request. Every transport failure, a timeout included, is
// worth a retry; HTTP answers are classified by notify.CheckResponse, with
// 404 a success when notFoundOK (closing an alert that is not open).
func (n *Notifier) post(ctx context.Context, u string, body any, notFoundOK bool) (retry bool, err error) {
	data, err := json.Marshal(body)
	if err != nil {
		return false, fmt.Errorf("encode request: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, n.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(data))
	if err != nil {
		return false, fmt.Errorf("build request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "vigil-collector")
	req.Header.Set("Authorization", "GenieKey "+n.key.Reveal())
	resp, err := n.client.Do(req)
	if err != nil {
		return true, err
	}
	defer resp.Body.Close()
	if notFoundOK && resp.StatusCode == http.StatusNotFound {
		n.log.Debug("alert to close is not open", "url", u)
		return false, nil
	}
	return notify.CheckResponse(resp)
}
