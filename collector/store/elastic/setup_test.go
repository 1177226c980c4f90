package elastic

import (
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vigilmon/vigil/internal/testutil/fakees"
)

func TestSetupInstallsAndIsIdempotent(t *testing.T) {
	for _, tc := range []struct {
		name   string
		flavor fakees.Flavor
		tsds   bool
	}{{"elasticsearch", fakees.Elasticsearch, true}, {"opensearch", fakees.OpenSearch, false}} {
		t.Run(tc.name, func(t *testing.T) {
			srv := fakees.New(fakees.Options{Flavor: tc.flavor})
			defer srv.Close()
			c := esClient(t, srv)
			if tc.flavor == fakees.OpenSearch {
				c = osBasicClient(t, srv)
			}
			info, err := c.Info(context.Background(), "auto")
			if err != nil {
				t.Fatal(err)
			}
			if info.TSDS != tc.tsds {
				t.Fatalf("time series = %v, want %v", info.TSDS, tc.tsds)
			}
			plan := Plan(info, testCommon(t))
			res, err := c.Apply(context.Background(), plan)
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range res {
				if r.Action != "created" {
					t.Errorf("first run: %s %s %s", r.Step.Kind, r.Step.Name, r.Action)
				}
			}
			again, err := c.Apply(context.Background(), plan)
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range again {
				if r.Action != "unchanged" && r.Action != "exists" {
					t.Errorf("second run changed %s %s: %s", r.Step.Kind, r.Step.Name, r.Action)
				}
			}
			policy := "/_ilm/policy/"
			if tc.flavor == fakees.OpenSearch {
				policy = "/_plugins/_ism/policies/"
			}
			if srv.Count("PUT", policy) != 5 {
				t.Errorf("%d policy PUTs, want 5 (one per stream, once)", srv.Count("PUT", policy))
			}
			for _, r := range srv.Requests() {
				if ct := r.Header.Get("Content-Type"); tc.flavor == fakees.OpenSearch && strings.Contains(ct, "vnd.elasticsearch") {
					t.Errorf("OpenSearch got Elastic media type %q on %s %s", ct, r.Method, r.Path)
				}
			}
		})
	}
}

// A newer collector's templates are never downgraded; an older version or a
// changed setting is updated.
func TestSetupVersioning(t *testing.T) {
	srv := fakees.New(fakees.Options{})
	defer srv.Close()
	c := esClient(t, srv)
	ctx := context.Background()
	info, _ := c.Info(ctx, "auto")
	common := testCommon(t)
	if _, err := c.Apply(ctx, Plan(info, common)); err != nil {
		t.Fatal(err)
	}
	// A newer collector installs its index templates (version + 1).
	for _, s := range Plan(info, common) {
		if s.Kind != "index_template" {
			continue
		}
		s.Body["version"] = TemplateVersion + 1
		s.Body["_meta"].(obj)["vigil_version"] = TemplateVersion + 1
		body, _ := json.Marshal(s.Body)
		if status, resp, err := c.do(ctx, "PUT", s.Path, body); err != nil || status != 200 {
			t.Fatalf("install newer %s: %d %s %v", s.Name, status, resp, err)
		}
	}
	common.Retention.Metrics = 10 * 24 * time.Hour
	res, err := c.Apply(ctx, Plan(info, common))
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range res {
		switch {
		case r.Step.Kind == "index_template" && r.Action != "kept-newer":
			t.Errorf("%s: %s, want kept-newer (installed by a newer collector)", r.Step.Name, r.Action)
		case r.Step.Name == "vigil-metrics" && r.Action != "updated":
			t.Errorf("metrics policy with a new retention: %s, want updated", r.Action)
		case r.Step.Name == "vigil-logs" && r.Action != "unchanged":
			t.Errorf("logs policy: %s, want unchanged", r.Action)
		}
	}
}

func osBasicClient(t testing.TB, srv *fakees.Server) *Client {
	t.Helper()
	cfg := DefaultOS()
	cfg.Addresses = []string{srv.URL()}
	cfg.Auth, cfg.Username, cfg.Password = "basic", "u", "p"
	cfg.Common = testCommon(t)
	c, err := NewOS(context.Background(), &cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// osSigV4Client signs with credentials from the default AWS chain, here the
// environment, as on an EC2 instance with a role they would come from IMDS.
func osSigV4Client(t *testing.T, srv *fakees.Server, secret string) *Client {
	t.Helper()
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIAVIGILTEST")
	t.Setenv("AWS_SECRET_ACCESS_KEY", secret)
	t.Setenv("AWS_REGION", "eu-west-1")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	cfg := DefaultOS()
	cfg.Addresses = []string{srv.URL()}
	cfg.Common = testCommon(t)
	c, err := NewOS(context.Background(), &cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// AWS OpenSearch Service: every request SigV4-signed (checked by the fake
// with the SDK's own signer), ISM instead of ILM, no time series, and the
// whole write and read path works; a wrong secret is refused with 403.
func TestOpenSearchSigV4(t *testing.T) {
	srv := fakees.New(fakees.Options{Flavor: fakees.OpenSearch, SigV4: &fakees.SigV4Options{
		AccessKey: "AKIAVIGILTEST", SecretKey: "s3cret", Region: "eu-west-1", Service: "es"}})
	defer srv.Close()
	r := openRig(t, srv, osSigV4Client(t, srv, "s3cret"), testCommon(t), "c1")
	if r.st.Info().TSDS {
		t.Error("time series on OpenSearch")
	}
	now := time.Now()
	r.write(batch("a", 1, now, 0.5), batch("a", 2, now.Add(time.Second), 0.6))
	r.waitDocs("metrics-vigil.host-default", 4)
	if d, err := r.st.Host(context.Background(), "host-a"); err != nil || len(d.Metrics) != 2 {
		t.Fatalf("read back: %+v %v", d, err)
	}
	for _, req := range srv.Requests() {
		if !strings.HasPrefix(req.Header.Get("Authorization"), "AWS4-HMAC-SHA256 Credential=AKIAVIGILTEST/") {
			t.Fatalf("%s %s not SigV4-signed: %q", req.Method, req.Path, req.Header.Get("Authorization"))
		}
	}
	if srv.Count("PUT", "/_plugins/_ism/policies/") == 0 || srv.Count("PUT", "/_ilm/") != 0 {
		t.Error("want ISM policies and no ILM on OpenSearch")
	}
	_, _, err := Open(context.Background(), osSigV4Client(t, srv, "wrong"), Options{Common: testCommon(t), Collector: "c2", NoSync: true})
	var se *StatusError
	if !errors.As(err, &se) || se.Status != 403 {
		t.Fatalf("wrong secret: %v, want a 403 StatusError", err)
	}
}
