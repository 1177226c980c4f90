// Package ses sends notifications through the Amazon SES v2 API
// (SendEmail), with aws-sdk-go-v2: no SMTP relay, and credentials from the
// AWS default chain, so an EC2 instance role is enough.
//
// One notification is one message with a text and an HTML body (from
// notify.Templates) to every configured recipient, sent at most MaxSendRate
// per second. The SDK retries throttling and server errors up to three
// attempts within the notification's timeout; what fails after that is
// reported with retry, and the dispatch retry stage backs off.
package ses

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/aws/aws-sdk-go-v2/service/sesv2/types"

	"github.com/vigilmon/vigil/collector/alert"
	"github.com/vigilmon/vigil/collector/notify"
)

// maxAttempts bounds the SDK's attempts at one SendEmail call.
const maxAttempts = 3

// Notifier sends notifications to one SES receiver. It is safe for concurrent
// use.
type Notifier struct {
	// cfg is without the secret key: fmt prints unexported fields raw,
	// bypassing Secret's redaction. The client's credentials hold it.
	cfg     Config
	region  string
	client  *sesv2.Client
	tmpl    *notify.Templates
	limiter *limiter
	log     *slog.Logger
}

var _ notify.Notifier = (*Notifier)(nil)

// New returns a Notifier for cfg, rendering with tmpl. It resolves the
// region and reads secret_access_key_file here; credentials from the default
// chain are fetched (and refreshed) when the first message is sent. logger
// nil discards.
func New(ctx context.Context, cfg Config, tmpl *notify.Templates, logger *slog.Logger) (*Notifier, error) {
	return newNotifier(ctx, cfg, tmpl, logger, hooks{})
}

// hooks replace parts of the SDK client for tests; zero values keep the
// SDK's.
type hooks struct {
	// backoff is the delay between attempts (the SDK's is exponential with
	// jitter, up to seconds).
	backoff retry.BackoffDelayer
	// httpClient sends the requests.
	httpClient awsconfig.HTTPClient
}

func newNotifier(ctx context.Context, cfg Config, tmpl *notify.Templates, logger *slog.Logger, h hooks) (*Notifier, error) {
	if errs := cfg.Validate(); len(errs) > 0 {
		return nil, notify.ConfigError("ses", errs)
	}
	if tmpl == nil {
		return nil, fmt.Errorf("new ses notifier: no templates")
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	opts := []func(*awsconfig.LoadOptions) error{
		awsconfig.WithRetryer(func() aws.Retryer {
			return retry.NewStandard(func(o *retry.StandardOptions) {
				o.MaxAttempts = maxAttempts
				// Retries are bounded by maxAttempts and the timeout;
				// the SDK's own retry budget would only turn throttling
				// into a quota error that hides the SES error code.
				o.RateLimiter = ratelimit.None
				if h.backoff != nil {
					o.Backoff = h.backoff
				}
			})
		}),
	}
	if h.httpClient != nil {
		opts = append(opts, awsconfig.WithHTTPClient(h.httpClient))
	}
	if cfg.Region != "" {
		opts = append(opts, awsconfig.WithRegion(cfg.Region))
	}
	if cfg.Profile != "" {
		opts = append(opts, awsconfig.WithSharedConfigProfile(cfg.Profile))
	}
	if cfg.AccessKeyID != "" {
		secret, err := cfg.secretKey()
		if err != nil {
			return nil, fmt.Errorf("new ses notifier: %w", err)
		}
		opts = append(opts, awsconfig.WithCredentialsProvider(
			credentials.NewStaticCredentialsProvider(cfg.AccessKeyID, secret.Reveal(), "")))
	}
	awsCfg, err := awsconfig.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("load aws config for ses: %w", err)
	}
	if awsCfg.Region == "" {
		return nil, fmt.Errorf("new ses notifier: no AWS region: set region, AWS_REGION or the profile's region")
	}
	client := sesv2.NewFromConfig(awsCfg, func(o *sesv2.Options) {
		if cfg.Endpoint != "" {
			o.BaseEndpoint = aws.String(cfg.Endpoint)
		}
	})
	cfg.SecretAccessKey = ""
	return &Notifier{
		cfg: cfg, region: awsCfg.Region, client: client, tmpl: tmpl, limiter: newLimiter(cfg.MaxSendRate),
		log: logger.With("integration", "ses", "region", awsCfg.Region),
	}, nil
}

// Notify sends one message about alerts to every recipient.
func (n *Notifier) Notify(ctx context.Context, alerts []alert.Alert) (retry bool, err error) {
	if len(alerts) == 0 {
		return false, nil
	}
	msg, err := n.tmpl.Render(notify.GroupFrom(ctx), alerts)
	if err != nil {
		return false, fmt.Errorf("render email: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, n.cfg.Timeout)
	defer cancel()
	if err := n.limiter.wait(ctx); err != nil {
		return true, fmt.Errorf("send email through ses in %s: %w", n.region, err)
	}
	out, err := n.client.SendEmail(ctx, n.input(msg, alerts))
	if err != nil {
		return retryable(err), fmt.Errorf("send email through ses in %s: %w", n.region, err)
	}
	n.log.Debug("email sent", "message_id", aws.ToString(out.MessageId),
		"status", notify.Status(alerts), "alerts", len(alerts))
	return false, nil
}

func (n *Notifier) input(msg notify.Message, alerts []alert.Alert) *sesv2.SendEmailInput {
	utf8 := aws.String("UTF-8")
	in := &sesv2.SendEmailInput{
		FromEmailAddress: aws.String(n.cfg.From),
		Destination:      &types.Destination{ToAddresses: n.cfg.To},
		Content: &types.EmailContent{Simple: &types.Message{
			Subject: &types.Content{Data: aws.String(msg.Subject), Charset: utf8},
			Body: &types.Body{
				Text: &types.Content{Data: aws.String(msg.Text), Charset: utf8},
				Html: &types.Content{Data: aws.String(msg.HTML), Charset: utf8},
			},
			Headers: []types.MessageHeader{
				{Name: aws.String("X-Vigil-Alert-ID"), Value: aws.String(notify.AlertIDs(alerts))},
				{Name: aws.String("X-Vigil-Status"), Value: aws.String(notify.Status(alerts))},
			},
		}},
	}
	if n.cfg.ConfigurationSet != "" {
		in.ConfigurationSetName = aws.String(n.cfg.ConfigurationSet)
	}
	return in
}
