package webhook

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/vigilmon/vigil/internal/config"
)

// file is how collector.yaml embeds a receiver: the parent's Validate calls
// the receiver's with a path prefix.
type file struct {
	Webhook *Config `yaml:"webhook"`
}

func (f *file) Validate() []config.FieldError {
	if f.Webhook == nil {
		return nil
	}
	return config.Prefix("webhook", f.Webhook.Validate())
}

func TestConfig(t *testing.T) {
	tests := []struct {
		name    string
		yaml    string
		want    *Config
		wantErr []string
	}{
		{
			name: "defaults",
			yaml: "webhook:\n  url: https://hooks.example.com/x\n",
			want: &Config{URL: "https://hooks.example.com/x", Timeout: 10 * time.Second},
		},
		{
			name: "everything set",
			yaml: "webhook:\n  url_file: /etc/vigil/hook.url\n  hmac_secret_file: /etc/vigil/hook.secret\n" +
				"  headers:\n    Authorization: Bearer abc\n    X-Team: ops\n  max_alerts: 50\n  timeout: 2s\n",
			want: &Config{
				URLFile: "/etc/vigil/hook.url", HMACSecretFile: "/etc/vigil/hook.secret",
				Headers:   map[string]config.Secret{"Authorization": "Bearer abc", "X-Team": "ops"},
				MaxAlerts: 50, Timeout: 2 * time.Second,
			},
		},
		{name: "no url", yaml: "webhook:\n  max_alerts: 1\n", wantErr: []string{"webhook.url: required (or url_file)"}},
		{
			name:    "both urls",
			yaml:    "webhook:\n  url: https://x/y\n  url_file: /etc/vigil/hook.url\n",
			wantErr: []string{"webhook.url: set only one"},
		},
		{
			name: "everything wrong",
			yaml: "webhook:\n  url: hooks.example.com/hunter2\n  hmac_secret: hunter2\n  hmac_secret_file: /s\n" +
				"  headers:\n    'Bad Name': x\n    content-type: text/plain\n    X-Sig: \"a\\r\\nb\"\n    X-Vigil-Signature: hunter2\n" +
				"  max_alerts: -1\n  timeout: 0s\n",
			wantErr: []string{
				"2:3: webhook.url: must be", "webhook.hmac_secret: set only one", `"Bad Name" is not a valid header name`,
				"webhook.headers.content-type: is set by vigil", "webhook.headers.X-Sig: value must not contain line breaks",
				"webhook.headers.X-Vigil-Signature: is set by vigil", "webhook.max_alerts: must be 0 (all) or more, got -1",
				"webhook.timeout: must be positive",
			},
		},
		{name: "unknown key", yaml: "webhook:\n  url: http://x\n  secret: s\n", wantErr: []string{"3:3:", "secret"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var f file
			err := config.Parse("collector.yaml", []byte(tt.yaml), &f)
			if tt.want != nil {
				if err != nil {
					t.Fatalf("Parse: %v", err)
				}
				if !reflect.DeepEqual(f.Webhook, tt.want) {
					t.Errorf("config = %+v, want %+v", f.Webhook, tt.want)
				}
				return
			}
			if err == nil {
				t.Fatal("Parse succeeded, want an error")
			}
			for _, s := range tt.wantErr {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q does not contain %q", err, s)
				}
			}
			if strings.Contains(err.Error(), "hunter2") {
				t.Errorf("error shows a secret: %v", err)
			}
		})
	}
}
