package main

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/vigilmon/vigil/collector/dispatch"
	"github.com/vigilmon/vigil/collector/notify"
	"github.com/vigilmon/vigil/collector/notify/email"
	vlog "github.com/vigilmon/vigil/collector/notify/log"
	"github.com/vigilmon/vigil/collector/notify/opsgenie"
	"github.com/vigilmon/vigil/collector/notify/pagerduty"
	"github.com/vigilmon/vigil/collector/notify/ses"
	"github.com/vigilmon/vigil/collector/notify/webhook"
	"github.com/vigilmon/vigil/internal/config"
)

// ReceiverConfig is one entry of `receivers:`: a name the route tree refers
// to and the integrations that notify it, as in Alertmanager.
type ReceiverConfig struct {
	Name      string             `yaml:"name"`
	Email     []email.Config     `yaml:"email_configs"`
	SES       []ses.Config       `yaml:"ses_configs"`
	PagerDuty []pagerduty.Config `yaml:"pagerduty_configs"`
	Opsgenie  []opsgenie.Config  `yaml:"opsgenie_configs"`
	Webhook   []webhook.Config   `yaml:"webhook_configs"`
	Log       []vlog.Config      `yaml:"log_configs"`
}

// Validate checks the receiver and each integration.
func (r *ReceiverConfig) Validate() []config.FieldError {
	var errs []config.FieldError
	if r.Name == "" {
		errs = append(errs, config.FieldError{Path: "name", Msg: "required"})
	}
	add := func(kind string, i int, fes []config.FieldError) {
		errs = append(errs, config.Prefix(fmt.Sprintf("%s[%d]", kind, i), fes)...)
	}
	for i := range r.Email {
		add("email_configs", i, r.Email[i].Validate())
	}
	for i := range r.SES {
		add("ses_configs", i, r.SES[i].Validate())
	}
	for i := range r.PagerDuty {
		add("pagerduty_configs", i, r.PagerDuty[i].Validate())
	}
	for i := range r.Opsgenie {
		add("opsgenie_configs", i, r.Opsgenie[i].Validate())
	}
	for i := range r.Webhook {
		add("webhook_configs", i, r.Webhook[i].Validate())
	}
	for i := range r.Log {
		add("log_configs", i, r.Log[i].Validate())
	}
	return errs
}

// buildReceivers wires every configured integration; this is the one place
// integrations are named. Integration names ("email[0]") key the notification
// log, so they follow the order in the file.
func buildReceivers(ctx context.Context, cfgs []ReceiverConfig, logger *slog.Logger) (map[string][]dispatch.Integration, error) {
	tmpl := notify.NewTemplates()
	out := make(map[string][]dispatch.Integration, len(cfgs))
	for _, rc := range cfgs {
		var ints []dispatch.Integration
		add := func(kind string, i int, n notify.Notifier, err error) error {
			name := fmt.Sprintf("%s[%d]", kind, i)
			if err != nil {
				return fmt.Errorf("receiver %s %s: %w", rc.Name, name, err)
			}
			ints = append(ints, dispatch.Integration{Name: name, Notifier: n})
			return nil
		}
		log := func(kind string, i int) *slog.Logger {
			return logger.With("component", "notify", "receiver", rc.Name, "integration", fmt.Sprintf("%s[%d]", kind, i))
		}
		for i, c := range rc.Email {
			n, err := email.New(c, tmpl, log("email", i))
			if err := add("email", i, n, err); err != nil {
				return nil, err
			}
		}
		for i, c := range rc.SES {
			n, err := ses.New(ctx, c, tmpl, log("ses", i))
			if err := add("ses", i, n, err); err != nil {
				return nil, err
			}
		}
		for i, c := range rc.PagerDuty {
			n, err := pagerduty.New(c, nil, log("pagerduty", i))
			if err := add("pagerduty", i, n, err); err != nil {
				return nil, err
			}
		}
		for i, c := range rc.Opsgenie {
			n, err := opsgenie.New(c, nil, log("opsgenie", i))
			if err := add("opsgenie", i, n, err); err != nil {
				return nil, err
			}
		}
		for i, c := range rc.Webhook {
			n, err := webhook.New(c, nil, log("webhook", i))
			if err := add("webhook", i, n, err); err != nil {
				return nil, err
			}
		}
		for i, c := range rc.Log {
			if err := add("log", i, vlog.New(c, log("log", i)), nil); err != nil {
				return nil, err
			}
		}
		out[rc.Name] = ints
	}
	return out, nil
}
