package main

import (
	"fmt"
	"net"
	"net/url"
	"time"

	"github.com/vigilmon/vigil/collector/dispatch"
	vlog "github.com/vigilmon/vigil/collector/notify/log"
	"github.com/vigilmon/vigil/collector/nrpepoll"
	"github.com/vigilmon/vigil/collector/rules"
	"github.com/vigilmon/vigil/collector/store/elastic"

	"github.com/vigilmon/vigil/internal/config"
	"github.com/vigilmon/vigil/internal/logging"
)

// Config is collector.yaml. Defaults are those of defaultConfig; configs/collector.yaml
// documents every key.
type Config struct {
	// Name identifies this collector in documents and shared alert state;
	// collectors sharing a cluster need distinct names. Default: host:port.
	Name       string         `yaml:"name"`
	Listen     string         `yaml:"listen"`
	TLS        TLSConfig      `yaml:"tls"`
	TokensFile string         `yaml:"tokens_file"`
	Ingest     IngestConfig   `yaml:"ingest"`
	Store      StoreConfig    `yaml:"store"`
	Log        logging.Config `yaml:"log"`
	Shutdown   time.Duration  `yaml:"shutdown_timeout"`
	// ExternalURL is how people reach this collector (links in notifications).
	ExternalURL string `yaml:"external_url"`
	// APITokensFile holds the tokens that may change state through the API
	// (silences, acknowledgements). Without it only loopback clients may.
	APITokensFile string           `yaml:"api_tokens_file"`
	Alerting      rules.Config     `yaml:"alerting"`
	Route         dispatch.Route   `yaml:"route"`
	Receivers     []ReceiverConfig `yaml:"receivers"`
	// NRPETargets are legacy NRPE daemons the collector polls itself.
	NRPETargets nrpepoll.Targets `yaml:"nrpe_targets"`
}

// TLSConfig enables HTTPS on the listener when both files are set.
type TLSConfig struct {
	CertFile string `yaml:"cert_file"`
	KeyFile  string `yaml:"key_file"`
}

// IngestConfig bounds what agents may send.
type IngestConfig struct {
	MaxBodyBytes    config.ByteSize `yaml:"max_body_bytes"`
	MaxDecodedBytes config.ByteSize `yaml:"max_decoded_bytes"`
	QueueLen        int             `yaml:"queue_len"`
	MaxGroup        int             `yaml:"max_group"`
	RetryAfter      time.Duration   `yaml:"retry_after"`
}

// StoreConfig selects and tunes the store: the embedded SQLite store unless
// elasticsearch or opensearch is configured (at most one of them).
type StoreConfig struct {
	SQLite            SQLiteConfig     `yaml:"sqlite"`
	Elasticsearch     elastic.ESConfig `yaml:"elasticsearch"`
	OpenSearch        elastic.OSConfig `yaml:"opensearch"`
	Retention         time.Duration    `yaml:"retention"`
	RetentionInterval time.Duration    `yaml:"retention_interval"`
}

// SQLiteConfig is the embedded store.
type SQLiteConfig struct {
	Path        string `yaml:"path"`
	Synchronous string `yaml:"synchronous"`
}

func defaultConfig() Config {
	return Config{
		Listen:     ":8470",
		TokensFile: "/etc/vigil/tokens",
		Ingest: IngestConfig{
			MaxBodyBytes: 8 << 20, MaxDecodedBytes: 64 << 20, QueueLen: 256, MaxGroup: 64, RetryAfter: time.Second,
		},
		Store: StoreConfig{
			SQLite:        SQLiteConfig{Path: "/var/lib/vigil/collector.db", Synchronous: "full"},
			Elasticsearch: elastic.DefaultES(),
			OpenSearch:    elastic.DefaultOS(),
			Retention:     7 * 24 * time.Hour, RetentionInterval: time.Hour,
		},
		Log:         logging.Default(),
		Shutdown:    10 * time.Second,
		Alerting:    rules.DefaultConfig(),
		Route:       dispatch.Route{Receiver: "log"},
		Receivers:   []ReceiverConfig{{Name: "log", Log: []vlog.Config{{}}}},
		NRPETargets: nrpepoll.Targets{},
	}
}

// Validate reports every semantic problem; config.Parse attaches file:line:col.
func (c *Config) Validate() []config.FieldError {
	var errs []config.FieldError
	add := func(path, format string, args ...any) {
		errs = append(errs, config.FieldError{Path: path, Msg: fmt.Sprintf(format, args...)})
	}
	if _, _, err := net.SplitHostPort(c.Listen); err != nil {
		add("listen", "want host:port, got %q", c.Listen)
	}
	if (c.TLS.CertFile == "") != (c.TLS.KeyFile == "") {
		add("tls", "cert_file and key_file go together")
	}
	if c.TokensFile == "" {
		add("tokens_file", "required: agents must authenticate")
	}
	if c.Ingest.MaxBodyBytes <= 0 || c.Ingest.MaxDecodedBytes < c.Ingest.MaxBodyBytes {
		add("ingest.max_decoded_bytes", "must be positive and at least max_body_bytes")
	}
	if c.Ingest.QueueLen < 1 || c.Ingest.MaxGroup < 1 {
		add("ingest", "queue_len and max_group must be at least 1")
	}
	if c.Ingest.RetryAfter < time.Second {
		add("ingest.retry_after", "must be at least 1s (HTTP Retry-After has whole seconds), got %s", c.Ingest.RetryAfter)
	}
	if c.Store.SQLite.Path == "" {
		add("store.sqlite.path", "required")
	}
	if s := c.Store.SQLite.Synchronous; s != "full" && s != "normal" {
		add("store.sqlite.synchronous", "want full or normal, got %q", s)
	}
	es, os := c.Store.Elasticsearch.Configured(), c.Store.OpenSearch.Configured()
	if es && os {
		add("store.opensearch", "configure one cluster: store.elasticsearch or store.opensearch, not both")
	}
	if es {
		errs = append(errs, config.Prefix("store.elasticsearch", c.Store.Elasticsearch.Validate())...)
	}
	if os {
		errs = append(errs, config.Prefix("store.opensearch", c.Store.OpenSearch.Validate())...)
	}
	if c.Store.Retention < time.Hour {
		add("store.retention", "must be at least 1h, got %s", c.Store.Retention)
	}
	if c.Store.RetentionInterval < time.Minute {
		add("store.retention_interval", "must be at least 1m, got %s", c.Store.RetentionInterval)
	}
	errs = append(errs, c.Log.Validate("log")...)
	if c.ExternalURL != "" {
		if u, err := url.Parse(c.ExternalURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			add("external_url", "want an http(s) URL, got %q", c.ExternalURL)
		}
	}
	errs = append(errs, config.Prefix("alerting", c.Alerting.Validate())...)
	var names []string
	seen := map[string]bool{}
	for i := range c.Receivers {
		r := &c.Receivers[i]
		errs = append(errs, config.Prefix(fmt.Sprintf("receivers[%d]", i), r.Validate())...)
		if seen[r.Name] {
			add(fmt.Sprintf("receivers[%d].name", i), "duplicate receiver %q", r.Name)
		}
		seen[r.Name] = true
		names = append(names, r.Name)
	}
	errs = append(errs, config.Prefix("route", c.Route.Validate(names))...)
	errs = append(errs, config.Prefix("nrpe_targets", c.NRPETargets.Validate())...)
	return errs
}

func loadConfig(path string) (Config, error) {
	cfg := defaultConfig()
	if err := config.Load(path, &cfg); err != nil {
		return Config{}, err
	}
	return cfg, nil
}
