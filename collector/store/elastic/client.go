package elastic

import (
	"bytes"
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"strings"
	"time"

	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/elastic/go-elasticsearch/v8"
	"github.com/opensearch-project/opensearch-go/v4"
	"github.com/opensearch-project/opensearch-go/v4/opensearchapi"
	"github.com/opensearch-project/opensearch-go/v4/signer/awsv2"

	"github.com/vigilmon/vigil/internal/config"
)

// Flavor is the kind of cluster.
type Flavor int

const (
	Elasticsearch Flavor = iota
	OpenSearch
)

func (f Flavor) String() string {
	if f == OpenSearch {
		return "opensearch"
	}
	return "elasticsearch"
}

// Client is one cluster: raw REST requests for setup, reads and alert state,
// and the client library's bulk helper for the write path. Both libraries
// stay standard: requests go through their Perform (auth, retries, node
// selection, compatibility headers), bulk through esutil / opensearchutil.
type Client struct {
	Flavor  Flavor
	perform func(*http.Request) (*http.Response, error)
	bulk    bulkFactory
	// timeout bounds one request.
	timeout time.Duration
	// closeFn stops the library's background work (opensearch-go's health
	// and node stats refreshers).
	closeFn func() error
}

// Close releases the client.
func (c *Client) Close() error {
	if c.closeFn == nil {
		return nil
	}
	return c.closeFn()
}

// transportRetries are the whole-request statuses the client library
// retries itself (429 added: the cluster's indexing pressure answer).
var transportRetries = []int{429, 502, 503, 504}

// backoff is exponential from 100ms with full jitter, for the transport's
// own retries of whole requests.
func backoff(attempt int) time.Duration {
	ceil := 100 * time.Millisecond << min(attempt, 6)
	return time.Duration(rand.Int64N(int64(ceil))) + 1
}

// NewES builds an Elasticsearch client from store.elasticsearch.
func NewES(c *ESConfig) (*Client, error) {
	cfg := elasticsearch.Config{
		Addresses: c.Addresses, CloudID: c.CloudID, Username: c.Username,
		RetryOnStatus: transportRetries, MaxRetries: 3, RetryBackoff: backoff,
		CompressRequestBody: true, PoolCompressor: true,
		// An 8.x client talking to a 9.x cluster needs the compatible-with=8 media types.
		EnableCompatibilityMode: true,
	}
	key, err := secret(c.APIKey, c.APIKeyFile, "api_key_file")
	if err != nil {
		return nil, err
	}
	cfg.APIKey = key.Reveal()
	if c.Username != "" {
		pw, err := secret(c.Password, c.PasswordFile, "password_file")
		if err != nil {
			return nil, err
		}
		cfg.Password = pw.Reveal()
	}
	if cfg.CACert, err = readCA(c.TLS.CAFile); err != nil {
		return nil, err
	}
	if c.TLS.InsecureSkipVerify {
		cfg.Transport = insecureTransport()
	}
	es, err := elasticsearch.NewClient(cfg)
	if err != nil {
		return nil, fmt.Errorf("elasticsearch client: %w", err)
	}
	return &Client{Flavor: Elasticsearch, perform: es.Perform, bulk: esBulk(es), timeout: c.RequestTimeout}, nil
}

// NewOS builds an OpenSearch client from store.opensearch. With auth sigv4
// every request is signed with credentials from the AWS default chain
// (environment, shared config, web identity, ECS, the EC2 instance role).
func NewOS(ctx context.Context, c *OSConfig) (*Client, error) {
	noDiscovery := false
	cfg := opensearch.Config{
		Addresses: c.Addresses, RetryOnStatus: transportRetries, MaxRetries: 3, RetryBackoff: backoff,
		CompressRequestBody: true, DiscoverNodesOnStart: &noDiscovery,
		// The library's own background health checks would add requests
		// (and signatures) nobody asked for; failures already mark nodes dead.
		HealthCheckMaxRetries: -1,
	}
	var err error
	if cfg.CACert, err = readCA(c.TLS.CAFile); err != nil {
		return nil, err
	}
	cfg.InsecureSkipVerify = c.TLS.InsecureSkipVerify
	switch c.Auth {
	case "sigv4":
		var opts []func(*awsconfig.LoadOptions) error
		if c.Region != "" {
			opts = append(opts, awsconfig.WithRegion(c.Region))
		}
		awsCfg, err := awsconfig.LoadDefaultConfig(ctx, opts...)
		if err != nil {
			return nil, fmt.Errorf("load AWS credentials for OpenSearch: %w", err)
		}
		if awsCfg.Region == "" {
			return nil, fmt.Errorf("opensearch: no AWS region: set store.opensearch.region or AWS_REGION")
		}
		if cfg.Signer, err = awsv2.NewSignerWithService(awsCfg, c.Service); err != nil {
			return nil, fmt.Errorf("opensearch SigV4 signer: %w", err)
		}
	case "basic":
		pw, err := secret(c.Password, c.PasswordFile, "password_file")
		if err != nil {
			return nil, err
		}
		cfg.Username, cfg.Password = c.Username, pw.Reveal()
	}
	api, err := opensearchapi.NewClient(opensearchapi.Config{Client: cfg})
	if err != nil {
		return nil, fmt.Errorf("opensearch client: %w", err)
	}
	return &Client{Flavor: OpenSearch, perform: api.Client.Perform, bulk: osBulk(api), timeout: c.RequestTimeout,
		closeFn: api.Client.Close}, nil
}

func secret(inline config.Secret, file, key string) (config.Secret, error) {
	if file == "" {
		return inline, nil
	}
	s, err := config.ReadSecretFile(file)
	if err != nil {
		return "", fmt.Errorf("%s: %w", key, err)
	}
	return s, nil
}

func readCA(path string) ([]byte, error) {
	if path == "" {
		return nil, nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read cluster CA file: %w", err)
	}
	return b, nil
}

func insecureTransport() http.RoundTripper {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.TLSClientConfig = &tls.Config{InsecureSkipVerify: true} //nolint:gosec // explicitly configured, tests only
	return t
}

// do sends one request and returns the status and body. body may be nil.
// Transport failures (cluster unreachable) are errors; HTTP error statuses
// are not: callers decide what 404 or 409 mean.
func (c *Client) do(ctx context.Context, method, path string, body []byte) (int, []byte, error) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, path, rd)
	if err != nil {
		return 0, nil, fmt.Errorf("build request %s %s: %w", method, path, err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	resp, err := c.perform(req)
	if err != nil {
		return 0, nil, fmt.Errorf("%s %s: %w", method, redactPath(path), err)
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(io.LimitReader(resp.Body, 256<<20))
	if err != nil {
		return resp.StatusCode, nil, fmt.Errorf("read response of %s %s: %w", method, redactPath(path), err)
	}
	return resp.StatusCode, out, nil
}

// redactPath drops the query string, which never holds secrets here but may
// hold long search_after values that make logs unreadable.
func redactPath(p string) string {
	if i := strings.IndexByte(p, '?'); i >= 0 {
		return p[:i]
	}
	return p
}

// StatusError is an unexpected HTTP status from the cluster, with the
// cluster's own error type and reason.
type StatusError struct {
	Method, Path string
	Status       int
	Type, Reason string
}

func (e *StatusError) Error() string {
	if e.Type == "" {
		return fmt.Sprintf("%s %s: status %d", e.Method, e.Path, e.Status)
	}
	return fmt.Sprintf("%s %s: status %d: %s: %s", e.Method, e.Path, e.Status, e.Type, e.Reason)
}

// statusError decodes the cluster's error body.
func statusError(method, path string, status int, body []byte) error {
	e := &StatusError{Method: method, Path: redactPath(path), Status: status}
	e.Type, e.Reason = errorOf(body)
	return e
}
