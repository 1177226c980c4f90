package pagerduty

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
	PagerDuty *Config `yaml:"pagerduty"`
}

func (f *file) Validate() []config.FieldError {
	if f.PagerDuty == nil {
		return nil
	}
	return config.Prefix("pagerduty", f.PagerDuty.Validate())
}

func TestConfig(t *testing.T) {
	tests := []struct {
		name    string
		yaml    string
		want    Config
		wantErr []string
	}{
		{
			name: "defaults",
			yaml: "pagerduty:\n  routing_key: " + testKey + "\n",
			want: Config{URL: DefaultURL, RoutingKey: testKey, Client: "Vigil", Timeout: 10 * time.Second},
		},
		{
			name: "everything set",
			yaml: "pagerduty:\n  url: https://events.eu.pagerduty.com/v2/enqueue\n  routing_key_file: /etc/vigil/pd.key\n" +
				"  client: Ops Vigil\n  client_url: https://vigil.example.com\n  timeout: 3s\n",
			want: Config{URL: "https://events.eu.pagerduty.com/v2/enqueue", RoutingKeyFile: "/etc/vigil/pd.key",
				Client: "Ops Vigil", ClientURL: "https://vigil.example.com", Timeout: 3 * time.Second},
		},
		{name: "no key", yaml: "pagerduty:\n  client: x\n", wantErr: []string{"1:1: pagerduty.routing_key: required"}},
		{
			name:    "both keys",
			yaml:    "pagerduty:\n  routing_key: " + testKey + "\n  routing_key_file: /k\n",
			wantErr: []string{"pagerduty.routing_key: set only one"},
		},
		{
			name:    "short key",
			yaml:    "pagerduty:\n  routing_key: hunter2\n",
			wantErr: []string{"2:3: pagerduty.routing_key: must be the 32-character integration key, got 7 characters"},
		},
		{
			name:    "bad urls and timeout",
			yaml:    "pagerduty:\n  url: events.pagerduty.com\n  routing_key: " + testKey + "\n  client_url: ftp://x\n  timeout: 0s\n",
			wantErr: []string{"pagerduty.url: must be an http", "pagerduty.client_url: must be an http", "pagerduty.timeout: must be positive"},
		},
		{
			name:    "unknown key",
			yaml:    "pagerduty:\n  routing_key: " + testKey + "\n  severity_map: {}\n",
			wantErr: []string{"3:3:", "severity_map"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var f file
			err := config.Parse("collector.yaml", []byte(tt.yaml), &f)
			if len(tt.wantErr) == 0 {
				if err != nil {
					t.Fatalf("Parse: %v", err)
				}
				if !reflect.DeepEqual(*f.PagerDuty, tt.want) {
					t.Errorf("config = %+v, want %+v", *f.PagerDuty, tt.want)
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
				t.Errorf("error shows the key: %v", err)
			}
		})
	}
}
