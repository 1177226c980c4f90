package opsgenie

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
	Opsgenie *Config `yaml:"opsgenie"`
}

func (f *file) Validate() []config.FieldError {
	if f.Opsgenie == nil {
		return nil
	}
	return config.Prefix("opsgenie", f.Opsgenie.Validate())
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
			yaml: "opsgenie:\n  api_key: " + testKey + "\n",
			want: &Config{APIURL: DefaultAPIURL, APIKey: testKey, Source: "vigil", Timeout: 10 * time.Second},
		},
		{
			name: "everything set",
			yaml: `opsgenie:
  api_url: https://api.eu.opsgenie.com
  api_key_file: /etc/vigil/opsgenie.key
  responders:
    - {type: team, name: ops}
    - {type: user, username: ann@example.com}
    - {type: schedule, id: 4513b7ea-3b91-438f-b7e4-e3e54af9147c}
  tags: [vigil, prod]
  priority_map: {critical: P2}
  source: vigil-eu
  timeout: 5s
`,
			want: &Config{
				APIURL: "https://api.eu.opsgenie.com", APIKeyFile: "/etc/vigil/opsgenie.key",
				Responders: []Responder{
					{Type: "team", Name: "ops"}, {Type: "user", Username: "ann@example.com"},
					{Type: "schedule", ID: "4513b7ea-3b91-438f-b7e4-e3e54af9147c"},
				},
				Tags: []string{"vigil", "prod"}, PriorityMap: map[string]string{"critical": "P2"},
				Source: "vigil-eu", Timeout: 5 * time.Second,
			},
		},
		{name: "no key", yaml: "opsgenie:\n  source: x\n", wantErr: []string{"opsgenie.api_key: required"}},
		{
			name:    "both keys",
			yaml:    "opsgenie:\n  api_key: hunter2\n  api_key_file: /k\n",
			wantErr: []string{"2:3: opsgenie.api_key: set only one"},
		},
		{
			name: "bad responders",
			yaml: "opsgenie:\n  api_key: k\n  responders:\n    - {type: group, name: x}\n    - {type: team}\n" +
				"    - {type: team, username: bob}\n    - {type: user, name: bob}\n    - {type: team, name: a, id: b}\n",
			wantErr: []string{
				"opsgenie.responders[0].type: want one of team",
				"5:7: opsgenie.responders[1]: set exactly one",
				"opsgenie.responders[2].username: only for type user",
				"opsgenie.responders[3].name: a user is named by username or id",
				"8:7: opsgenie.responders[4]: set exactly one",
			},
		},
		{
			name: "bad tags, priorities, url, source, timeout",
			yaml: "opsgenie:\n  api_key: k\n  api_url: api.opsgenie.com\n  tags: [ok, '', " + strings.Repeat("t", 51) + "]\n" +
				"  priority_map: {critical: P0, info: P5}\n  source: ''\n  timeout: 0s\n",
			wantErr: []string{
				"opsgenie.api_url: must be an http", "opsgenie.tags[1]: must be 1 to 50", "opsgenie.tags[2]: must be 1 to 50",
				`opsgenie.priority_map.critical: want P1 to P5, got "P0"`, "opsgenie.priority_map.info: unknown severity",
				"opsgenie.source: must not be empty", "opsgenie.timeout: must be positive",
			},
		},
		{
			name:    "too many tags",
			yaml:    "opsgenie:\n  api_key: k\n  tags: [" + strings.Repeat("t,", 20) + "t]\n",
			wantErr: []string{"opsgenie.tags: at most 20 tags, got 21"},
		},
		{
			name:    "unknown key",
			yaml:    "opsgenie:\n  api_key: k\n  apikey: k\n",
			wantErr: []string{"3:3:", "apikey"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var f file
			err := config.Parse("collector.yaml", []byte(tt.yaml), &f)
			if tt.want != nil {
				if err != nil {
					t.Fatalf("Parse: %v", err)
				}
				if !reflect.DeepEqual(f.Opsgenie, tt.want) {
					t.Errorf("config = %+v, want %+v", f.Opsgenie, tt.want)
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
