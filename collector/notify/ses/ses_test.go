package ses

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"go.uber.org/goleak"

	"github.com/vigilmon/vigil/collector/alert"
	"github.com/vigilmon/vigil/collector/notify"
	"github.com/vigilmon/vigil/internal/testutil/peers"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var testTemplates = notify.NewTemplates()

func diskFull(state alert.State) alert.Alert {
	fired := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	a := alert.Alert{
		ID:          "0123456789abcdef",
		Labels:      alert.Labels{alert.LabelAlertname: "DiskFull", alert.LabelHost: "web-1"},
		Annotations: map[string]string{"summary": "/var on web-1 is 97% full"},
		State:       state, Severity: alert.Critical, Value: 0.97, FiredAt: fired,
	}
	if state == alert.Resolved {
		a.ResolvedAt = fired.Add(time.Hour)
	}
	return a
}

// isolateAWS keeps the developer's or CI's AWS settings out of the test: no
// environment credentials, region or endpoints, no shared files unless the
// test writes them, no instance metadata.
func isolateAWS(t *testing.T) (configFile, credentialsFile string) {
	t.Helper()
	for _, k := range []string{"AWS_REGION", "AWS_DEFAULT_REGION", "AWS_PROFILE", "AWS_DEFAULT_PROFILE",
		"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL",
		"AWS_ENDPOINT_URL_SESV2", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_ARN",
		"AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_NEW_RETRIES_2026"} {
		t.Setenv(k, "")
	}
	dir := t.TempDir()
	configFile, credentialsFile = filepath.Join(dir, "config"), filepath.Join(dir, "credentials")
	t.Setenv("AWS_CONFIG_FILE", configFile)
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", credentialsFile)
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	return configFile, credentialsFile
}

func staticConfig(endpoint string) Config {
	c := defaultConfig()
	c.Region, c.Endpoint = "us-east-1", endpoint
	c.AccessKeyID, c.SecretAccessKey = "AKIAFAKEFAKEFAKE", testSecret
	c.From, c.To = "vigil@example.test", []string{"ops@example.test", "oncall@example.test"}
	c.MaxSendRate = 1000 // tests send back to back
	return c
}

// testHooks: no backoff between attempts, no keep-alive goroutines.
func testHooks() hooks {
	return hooks{
		backoff: retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) { return 0, nil }),
		// A BuildableClient, like the SDK's own, so that AWS_CA_BUNDLE
		// still applies.
		httpClient: awshttp.NewBuildableClient().WithTransportOptions(func(tr *http.Transport) { tr.DisableKeepAlives = true }),
	}
}

func newTestNotifier(t *testing.T, cfg Config, h hooks) *Notifier {
	t.Helper()
	n, err := newNotifier(t.Context(), cfg, testTemplates, nil, h)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return n
}

func TestSendToSESLocal(t *testing.T) {
	isolateAWS(t)
	ses := peers.SESLocal(t)
	cfg := staticConfig(ses.Endpoint())
	cfg.ConfigurationSet = "vigil-events" // accepted and ignored by the peer
	n := newTestNotifier(t, cfg, testHooks())

	ctx := notify.WithGroup(t.Context(), notify.Group{Receiver: "ops"})
	if retry, err := n.Notify(ctx, []alert.Alert{diskFull(alert.Firing)}); err != nil {
		t.Fatalf("Notify: retry %v, %v", retry, err)
	}
	got := ses.WaitEmails(t, 1, 30*time.Second)
	e := got[0]
	checks := []struct{ name, got, want string }{
		{"from", e.From, "vigil@example.test"},
		{"to", strings.Join(e.To, ","), "ops@example.test,oncall@example.test"},
		{"subject", e.Subject, "[FIRING:1 critical] DiskFull web-1"},
		{"alert id header", e.Header("X-Vigil-Alert-ID"), "0123456789abcdef"},
		{"status header", e.Header("X-Vigil-Status"), "FIRING"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %q, want %q", c.name, c.got, c.want)
		}
	}
	if !strings.Contains(e.Text, "/var on web-1 is 97% full") || !strings.Contains(e.HTML, "/var on web-1 is 97% full</h3>") {
		t.Errorf("bodies lack the summary: text %q, html %q", e.Text, e.HTML)
	}
}

func TestProfileFromSharedFiles(t *testing.T) {
	configFile, credentialsFile := isolateAWS(t)
	ses := peers.SESLocal(t)
	if err := os.WriteFile(configFile, []byte("[profile vigil]\nregion = eu-west-1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	creds := fmt.Sprintf("[vigil]\naws_access_key_id = AKIAPROFILEFAKE\naws_secret_access_key = %s\n", testSecret)
	if err := os.WriteFile(credentialsFile, []byte(creds), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := staticConfig(ses.Endpoint())
	cfg.Region, cfg.AccessKeyID, cfg.SecretAccessKey, cfg.Profile = "", "", "", "vigil"
	n := newTestNotifier(t, cfg, testHooks())
	if n.region != "eu-west-1" {
		t.Errorf("region = %q, want the profile's eu-west-1", n.region)
	}
	if retry, err := n.Notify(t.Context(), []alert.Alert{diskFull(alert.Resolved)}); err != nil {
		t.Fatalf("Notify: retry %v, %v", retry, err)
	}
	if e := ses.WaitEmails(t, 1, 30*time.Second)[0]; e.Subject != "[RESOLVED] DiskFull web-1" {
		t.Errorf("subject = %q", e.Subject)
	}
}

func TestNewNeedsARegion(t *testing.T) {
	isolateAWS(t)
	cfg := staticConfig("")
	cfg.Region = ""
	if _, err := New(t.Context(), cfg, testTemplates, nil); err == nil || !strings.Contains(err.Error(), "no AWS region") {
		t.Fatalf("New without a region: %v", err)
	}
}

func TestNewRefusesInvalidConfigWithoutQuotingTheSecret(t *testing.T) {
	cfg := staticConfig("")
	cfg.AccessKeyID = "" // secret without key ID
	_, err := New(t.Context(), cfg, testTemplates, nil)
	if err == nil || !strings.Contains(err.Error(), "invalid ses config: access_key_id") || strings.Contains(err.Error(), testSecret) {
		t.Fatalf("New: %v, want an invalid-config error without the secret", err)
	}
}

// fakeSES answers every request with status, error type and message in the
// shape of the SES v2 REST-JSON protocol, counting requests and keeping the
// last body.
type fakeSES struct {
	status       int
	errType, msg string
	requests     atomic.Int32
	lastBody     atomic.Value // []byte
	lastAuth     atomic.Value // string
}

func (f *fakeSES) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.requests.Add(1)
	body, _ := io.ReadAll(r.Body)
	f.lastBody.Store(body)
	f.lastAuth.Store(r.Header.Get("Authorization"))
	w.Header().Set("Content-Type", "application/json")
	if f.status == http.StatusOK {
		_, _ = io.WriteString(w, `{"MessageId":"fake-1"}`)
		return
	}
	w.Header().Set("X-Amzn-ErrorType", f.errType)
	w.WriteHeader(f.status)
	_, _ = fmt.Fprintf(w, `{"message":%q}`, f.msg)
}

func TestErrorsDecideRetry(t *testing.T) {
	isolateAWS(t)
	tests := []struct {
		name         string
		fake         *fakeSES
		wantRetry    bool
		wantAttempts int32
	}{
		{"throttled", &fakeSES{status: 429, errType: "TooManyRequestsException", msg: "Maximum sending rate exceeded."}, true, maxAttempts},
		{"daily quota", &fakeSES{status: 400, errType: "LimitExceededException", msg: "Daily message quota exceeded."}, true, maxAttempts},
		{"server error", &fakeSES{status: 500, errType: "InternalFailure", msg: "oops"}, true, maxAttempts},
		{"unavailable", &fakeSES{status: 503, errType: "ServiceUnavailable", msg: "later"}, true, maxAttempts},
		{"rejected", &fakeSES{status: 400, errType: "MessageRejected", msg: "Email address is not verified."}, false, 1},
		{"domain not verified", &fakeSES{status: 400, errType: "MailFromDomainNotVerifiedException", msg: "no"}, false, 1},
		{"suspended", &fakeSES{status: 400, errType: "AccountSuspendedException", msg: "no"}, false, 1},
		{"bad request", &fakeSES{status: 400, errType: "BadRequestException", msg: "bad"}, false, 1},
		{"bad signature", &fakeSES{status: 403, errType: "InvalidSignatureException", msg: "no"}, false, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(tt.fake)
			defer srv.Close()
			n := newTestNotifier(t, staticConfig(srv.URL), testHooks())
			retry, err := n.Notify(t.Context(), []alert.Alert{diskFull(alert.Firing)})
			if err == nil || retry != tt.wantRetry || !strings.Contains(err.Error(), tt.fake.errType) {
				t.Fatalf("Notify: retry %v, %v; want retry %v and an error naming %s", retry, err, tt.wantRetry, tt.fake.errType)
			}
			if got := tt.fake.requests.Load(); got != tt.wantAttempts {
				t.Errorf("%d requests, want %d", got, tt.wantAttempts)
			}
			if strings.Contains(err.Error(), testSecret) {
				t.Errorf("error quotes the secret key: %v", err)
			}
		})
	}
}

func TestThrottledCallEndsWithItsTimeout(t *testing.T) {
	isolateAWS(t)
	fake := &fakeSES{status: 429, errType: "TooManyRequestsException", msg: "Maximum sending rate exceeded."}
	srv := httptest.NewServer(fake)
	defer srv.Close()
	cfg := staticConfig(srv.URL)
	cfg.Timeout = 300 * time.Millisecond
	h := testHooks()
	// A backoff longer than the timeout: the call must end with the
	// timeout, not sit out the backoff.
	h.backoff = retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) { return time.Hour, nil })
	retry, err := newTestNotifier(t, cfg, h).Notify(t.Context(), []alert.Alert{diskFull(alert.Firing)})
	if err == nil || !retry {
		t.Fatalf("Notify: retry %v, %v; want a retryable error", retry, err)
	}
}

func TestRequestShape(t *testing.T) {
	isolateAWS(t)
	fake := &fakeSES{status: http.StatusOK}
	srv := httptest.NewServer(fake)
	defer srv.Close()
	cfg := staticConfig(srv.URL)
	cfg.ConfigurationSet = "vigil-events"
	n := newTestNotifier(t, cfg, testHooks())
	alerts := []alert.Alert{diskFull(alert.Firing), diskFull(alert.Firing)}
	alerts[1].ID = "fedcba9876543210"
	if retry, err := n.Notify(t.Context(), alerts); err != nil {
		t.Fatalf("Notify: retry %v, %v", retry, err)
	}
	var req struct {
		FromEmailAddress     string
		ConfigurationSetName string
		Destination          struct{ ToAddresses []string }
		Content              struct {
			Simple struct {
				Subject struct{ Data, Charset string }
				Body    struct {
					Text, Html struct{ Data, Charset string }
				}
				Headers []struct{ Name, Value string }
			}
		}
	}
	if err := json.Unmarshal(fake.lastBody.Load().([]byte), &req); err != nil {
		t.Fatal(err)
	}
	s := req.Content.Simple
	got := fmt.Sprintf("%s|%s|%v|%s|%s|%v|%v|%v", req.FromEmailAddress, req.ConfigurationSetName, req.Destination.ToAddresses,
		s.Subject.Data, s.Subject.Charset, s.Body.Text.Data != "", s.Body.Html.Data != "", s.Headers)
	want := "vigil@example.test|vigil-events|[ops@example.test oncall@example.test]|[FIRING:2 critical] DiskFull web-1|UTF-8|true|true|" +
		"[{X-Vigil-Alert-ID 0123456789abcdef fedcba9876543210} {X-Vigil-Status FIRING}]"
	if got != want {
		t.Errorf("request:\n got  %s\n want %s", got, want)
	}
	if auth := fake.lastAuth.Load().(string); !strings.Contains(auth, "Credential=AKIAFAKEFAKEFAKE/") || !strings.Contains(auth, "/us-east-1/ses/") {
		t.Errorf("Authorization = %q, want SigV4 with the static key for us-east-1/ses", auth)
	}
}

func TestUnreachableEndpointIsRetried(t *testing.T) {
	isolateAWS(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	retry, err := newTestNotifier(t, staticConfig("http://"+addr), testHooks()).Notify(t.Context(), []alert.Alert{diskFull(alert.Firing)})
	if err == nil || !retry || !strings.Contains(err.Error(), addr) {
		t.Fatalf("Notify: retry %v, %v; want retry and an error naming %s", retry, err, addr)
	}
}

func TestNotifyNothing(t *testing.T) {
	isolateAWS(t)
	n := newTestNotifier(t, staticConfig("http://127.0.0.1:1"), testHooks())
	if retry, err := n.Notify(context.Background(), nil); retry || err != nil {
		t.Errorf("Notify(nil) = %v, %v; want nothing sent", retry, err)
	}
}
