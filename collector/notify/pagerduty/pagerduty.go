// Package pagerduty sends alerts to PagerDuty through the Events API v2.
//
// Every alert is its own event, keyed by dedup_key = alert ID: a firing alert
// triggers (or, when already open, adds to) the incident with that key, and a
// resolved one resolves it. PagerDuty groups events by dedup_key itself, so
// one notification with many alerts is many events.
//
// When one event of a notification fails, the others are still sent if the
// failure was a refusal (400: that event is wrong, not the API). A retryable
// failure (network, timeout, 429, 5xx) stops the notification there and
// Notify reports retry, and the retry resends every event, including those
// that already went through: a second trigger with the same dedup_key only
// adds to the open incident and a second resolve is a no-op, so resending is
// harmless and the notifier needs no memory of what it sent.
package pagerduty

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/vigilmon/vigil/collector/alert"
	"github.com/vigilmon/vigil/collector/notify"
	"github.com/vigilmon/vigil/internal/config"
)

// Notifier sends alerts to one PagerDuty service.
type Notifier struct {
	cfg Config // without the key
	// key is behind a pointer because fmt prints unexported fields raw,
	// bypassing Secret's redaction; a nested pointer prints as an address.
	key    *config.Secret
	client *http.Client
	log    *slog.Logger
}

var _ notify.Notifier = (*Notifier)(nil)

// New returns a Notifier for cfg. client nil means a client with cfg.Timeout;
// log nil discards. It reads routing_key_file once, here.
func New(cfg Config, client *http.Client, log *slog.Logger) (*Notifier, error) {
	if errs := cfg.Validate(); len(errs) > 0 {
		return nil, notify.ConfigError("pagerduty", errs)
	}
	key, err := cfg.routingKey()
	if err != nil {
		return nil, fmt.Errorf("load pagerduty config: %w", err)
	}
	if client == nil {
		client = &http.Client{Timeout: cfg.Timeout}
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	cfg.RoutingKey = ""
	return &Notifier{cfg: cfg, key: &key, client: client, log: log.With("integration", "pagerduty")}, nil
}

// Notify sends one event per alert (see the package doc for partial failures).
func (n *Notifier) Notify(ctx context.Context, alerts []alert.Alert) (retry bool, err error) {
	g := notify.GroupFrom(ctx)
	var errs []error
	for i, a := range alerts {
		ev, ok := n.newEvent(g, a)
		if !ok {
			n.log.Debug("no event for alert state", "alert_id", a.ID, "state", a.State)
			continue
		}
		retry, err := n.send(ctx, &ev)
		if err == nil {
			n.log.Debug("event accepted", "event", ev.describe())
			continue
		}
		errs = append(errs, fmt.Errorf("%s: %w", ev.describe(), err))
		if retry {
			// The API or the way to it is failing; the remaining events would
			// most likely fail the same way, one timeout each.
			if rest := len(alerts) - i - 1; rest > 0 {
				errs = append(errs, fmt.Errorf("%d more alerts not sent", rest))
			}
			return true, fmt.Errorf("send pagerduty events: %w", errors.Join(errs...))
		}
	}
	if len(errs) > 0 {
		return false, fmt.Errorf("send pagerduty events: %w", errors.Join(errs...))
	}
	return false, nil
}

// send posts one event. Every transport failure, a timeout included, is worth
// a retry; HTTP answers are classified by notify.CheckResponse.
func (n *Notifier) send(ctx context.Context, ev *event) (retry bool, err error) {
	body, err := json.Marshal(ev)
	if err != nil {
		return false, fmt.Errorf("encode event: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, n.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, n.cfg.URL, bytes.NewReader(body))
	if err != nil {
		return false, fmt.Errorf("build request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "vigil-collector")
	resp, err := n.client.Do(req)
	if err != nil {
		return true, err
	}
	defer resp.Body.Close()
	return notify.CheckResponse(resp)
}
