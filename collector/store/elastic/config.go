package elastic

import (
	"fmt"
	"net/url"
	"regexp"
	"time"

	"github.com/vigilmon/vigil/internal/config"
)

// ESConfig is store.elasticsearch in collector.yaml: a self-managed cluster or
// Elastic Cloud, through go-elasticsearch/v8.
type ESConfig struct {
	// Addresses are the nodes to talk to; empty with CloudID.
	Addresses []string `yaml:"addresses"`
	// CloudID is the Elastic Cloud deployment ID (replaces addresses).
	CloudID string `yaml:"cloud_id"`
	// APIKey is the base64 "id:key" of an API key (Authorization: ApiKey),
	// from the config or, better, api_key_file.
	APIKey     config.Secret `yaml:"api_key"`
	APIKeyFile string        `yaml:"api_key_file"`
	Username   string        `yaml:"username"`
	Password   config.Secret `yaml:"password"`
	// PasswordFile holds the password for basic auth.
	PasswordFile string    `yaml:"password_file"`
	TLS          TLSConfig `yaml:"tls"`
	Common       `yaml:",inline"`
}

// OSConfig is store.opensearch: AWS OpenSearch Service (SigV4 with the
// default AWS credential chain) or a self-managed OpenSearch (basic auth).
type OSConfig struct {
	Addresses []string `yaml:"addresses"`
	// Auth is sigv4 (AWS OpenSearch Service) or basic.
	Auth string `yaml:"auth"`
	// Region for SigV4; empty takes it from the default chain (AWS_REGION,
	// the shared config, IMDS).
	Region string `yaml:"region"`
	// Service is the SigV4 service name: es (managed domains) or aoss
	// (OpenSearch Serverless).
	Service      string        `yaml:"service"`
	Username     string        `yaml:"username"`
	Password     config.Secret `yaml:"password"`
	PasswordFile string        `yaml:"password_file"`
	TLS          TLSConfig     `yaml:"tls"`
	Common       `yaml:",inline"`
}

// TLSConfig is how the collector checks the cluster's certificate.
type TLSConfig struct {
	// CAFile is a PEM bundle to trust instead of the system roots.
	CAFile string `yaml:"ca_file"`
	// InsecureSkipVerify turns certificate checks off; for tests only.
	InsecureSkipVerify bool `yaml:"insecure_skip_verify"`
}

// Common is what both clusters share: names, lifecycle, the outbox and the
// bulk writer.
type Common struct {
	// Namespace is the data stream namespace: metrics-vigil.host-<namespace>.
	Namespace string `yaml:"namespace"`
	// Retention per data stream, applied by the ILM/ISM policy after rollover.
	Retention Retention `yaml:"retention"`
	// Rollover starts a new backing index at this age or primary shard size.
	RolloverMaxAge  time.Duration   `yaml:"rollover_max_age"`
	RolloverMaxSize config.ByteSize `yaml:"rollover_max_size"`
	// TimeSeries: auto uses a time series data stream for host metrics
	// where the cluster supports it (Elasticsearch 8.7+); off never does.
	TimeSeries string `yaml:"time_series"`
	// Outbox is the on-disk queue of acked batches not yet in the cluster.
	Outbox OutboxConfig `yaml:"outbox"`
	// Bulk tunes the write path.
	Bulk BulkConfig `yaml:"bulk"`
	// RequestTimeout bounds one request to the cluster.
	RequestTimeout time.Duration `yaml:"request_timeout"`
	// PeerPoll is how often this collector reads what other collectors
	// stored, so that every collector's rules see every host. 0 turns it off
	// (one collector).
	PeerPoll time.Duration `yaml:"peer_poll"`
	// ClaimLease is how long a notification claimed by one collector is left
	// to it; if it dies mid-send, another sends after this.
	ClaimLease time.Duration `yaml:"claim_lease"`
}

// Retention is how long each kind of data is kept.
type Retention struct {
	Metrics time.Duration `yaml:"metrics"`
	Checks  time.Duration `yaml:"checks"`
	Logs    time.Duration `yaml:"logs"`
	Alerts  time.Duration `yaml:"alerts"`
}

// OutboxConfig bounds the outbox.
type OutboxConfig struct {
	Dir      string          `yaml:"dir"`
	MaxBytes config.ByteSize `yaml:"max_bytes"`
}

// BulkConfig tunes the bulk path.
type BulkConfig struct {
	// FlushBytes is the size of one _bulk request.
	FlushBytes config.ByteSize `yaml:"flush_bytes"`
	// Workers is the number of _bulk requests in flight.
	Workers int `yaml:"workers"`
	// MaxBackoff caps the wait between retries of rejected items.
	MaxBackoff time.Duration `yaml:"max_backoff"`
}

// DefaultCommon is the default of the shared settings.
func DefaultCommon() Common {
	return Common{
		Namespace: "default",
		Retention: Retention{Metrics: 30 * 24 * time.Hour, Checks: 90 * 24 * time.Hour,
			Logs: 14 * 24 * time.Hour, Alerts: 400 * 24 * time.Hour},
		RolloverMaxAge: 24 * time.Hour, RolloverMaxSize: 50 << 30,
		TimeSeries:     "auto",
		Outbox:         OutboxConfig{Dir: "/var/lib/vigil/outbox", MaxBytes: 1 << 30},
		Bulk:           BulkConfig{FlushBytes: 5 << 20, Workers: 2, MaxBackoff: 30 * time.Second},
		RequestTimeout: 30 * time.Second,
		PeerPoll:       2 * time.Second,
		ClaimLease:     time.Minute,
	}
}

// DefaultES is the default of store.elasticsearch.
func DefaultES() ESConfig { return ESConfig{Addresses: []string{}, Common: DefaultCommon()} }

// DefaultOS is the default of store.opensearch.
func DefaultOS() OSConfig {
	return OSConfig{Addresses: []string{}, Auth: "sigv4", Service: "es", Common: DefaultCommon()}
}

// Configured reports whether the block was filled in.
func (c *ESConfig) Configured() bool { return len(c.Addresses) > 0 || c.CloudID != "" }

// Configured reports whether the block was filled in.
func (c *OSConfig) Configured() bool { return len(c.Addresses) > 0 }

// namespaceRE is what Elasticsearch allows in a data stream namespace.
var namespaceRE = regexp.MustCompile(`^[a-z0-9_]{1,100}$`)

// Validate reports every problem; paths are relative to the block.
func (c *ESConfig) Validate() []config.FieldError {
	var errs []config.FieldError
	add := func(path, format string, args ...any) {
		errs = append(errs, config.FieldError{Path: path, Msg: fmt.Sprintf(format, args...)})
	}
	if len(c.Addresses) > 0 && c.CloudID != "" {
		add("cloud_id", "set addresses or cloud_id, not both")
	}
	errs = append(errs, validateAddresses(c.Addresses)...)
	keys := 0
	for _, set := range []bool{c.APIKey != "", c.APIKeyFile != "", c.Username != ""} {
		if set {
			keys++
		}
	}
	if keys > 1 {
		add("api_key", "use one of api_key, api_key_file and username/password")
	}
	if c.Username != "" && (c.Password == "") == (c.PasswordFile == "") {
		add("password", "username needs exactly one of password and password_file")
	}
	if c.Username == "" && (c.Password != "" || c.PasswordFile != "") {
		add("username", "required with password")
	}
	return append(errs, c.Common.validate()...)
}

// Validate reports every problem; paths are relative to the block.
func (c *OSConfig) Validate() []config.FieldError {
	var errs []config.FieldError
	add := func(path, format string, args ...any) {
		errs = append(errs, config.FieldError{Path: path, Msg: fmt.Sprintf(format, args...)})
	}
	if len(c.Addresses) == 0 {
		add("addresses", "required: the domain endpoint, e.g. https://search-x.eu-west-1.es.amazonaws.com")
	}
	errs = append(errs, validateAddresses(c.Addresses)...)
	switch c.Auth {
	case "sigv4":
		if c.Username != "" || c.Password != "" || c.PasswordFile != "" {
			add("username", "basic auth settings need auth: basic")
		}
		if c.Service != "es" && c.Service != "aoss" {
			add("service", "want es or aoss, got %q", c.Service)
		}
	case "basic":
		if c.Username == "" || (c.Password == "") == (c.PasswordFile == "") {
			add("username", "auth: basic needs username and exactly one of password and password_file")
		}
	default:
		add("auth", "want sigv4 or basic, got %q", c.Auth)
	}
	if c.TimeSeries == "on" {
		add("time_series", "OpenSearch has no time series data streams: use auto or off")
	}
	return append(errs, c.Common.validate()...)
}

func validateAddresses(addrs []string) []config.FieldError {
	var errs []config.FieldError
	for i, a := range addrs {
		u, err := url.Parse(a)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			errs = append(errs, config.FieldError{Path: fmt.Sprintf("addresses[%d]", i),
				Msg: fmt.Sprintf("want an http(s) URL, got %q", a)})
		}
	}
	return errs
}

func (c *Common) validate() []config.FieldError {
	var errs []config.FieldError
	add := func(path, format string, args ...any) {
		errs = append(errs, config.FieldError{Path: path, Msg: fmt.Sprintf(format, args...)})
	}
	if !namespaceRE.MatchString(c.Namespace) {
		add("namespace", "want lowercase letters, digits and _, got %q", c.Namespace)
	}
	for name, d := range map[string]time.Duration{"metrics": c.Retention.Metrics, "checks": c.Retention.Checks,
		"logs": c.Retention.Logs, "alerts": c.Retention.Alerts} {
		if d < 24*time.Hour {
			add("retention."+name, "must be at least 24h, got %s", d)
		}
	}
	if c.RolloverMaxAge < time.Hour {
		add("rollover_max_age", "must be at least 1h, got %s", c.RolloverMaxAge)
	}
	if c.RolloverMaxSize < 1<<20 {
		add("rollover_max_size", "must be at least 1MiB")
	}
	switch c.TimeSeries {
	case "auto", "on", "off":
	default:
		add("time_series", "want auto, on or off, got %q", c.TimeSeries)
	}
	if c.Outbox.Dir == "" {
		add("outbox.dir", "required")
	}
	if c.Outbox.MaxBytes < 1<<20 {
		add("outbox.max_bytes", "must be at least 1MiB")
	}
	if c.Bulk.FlushBytes < 64<<10 || c.Bulk.FlushBytes > 100<<20 {
		add("bulk.flush_bytes", "want 64KiB to 100MiB (the cluster's http.max_content_length)")
	}
	if c.Bulk.Workers < 1 || c.Bulk.Workers > 64 {
		add("bulk.workers", "want 1 to 64, got %d", c.Bulk.Workers)
	}
	if c.Bulk.MaxBackoff < time.Second {
		add("bulk.max_backoff", "must be at least 1s")
	}
	if c.RequestTimeout < time.Second {
		add("request_timeout", "must be at least 1s")
	}
	if c.ClaimLease < time.Second {
		add("claim_lease", "must be at least 1s, got %s", c.ClaimLease)
	}
	if c.PeerPoll != 0 && c.PeerPoll < 100*time.Millisecond {
		add("peer_poll", "want 0 (off) or at least 100ms, got %s", c.PeerPoll)
	}
	return errs
}
