package opsgenie

import (
	"fmt"
	"net/url"
	"slices"
	"time"
	"unicode/utf8"

	"github.com/vigilmon/vigil/collector/alert"
	"github.com/vigilmon/vigil/internal/config"
)

// DefaultAPIURL is Opsgenie's US API. EU accounts use https://api.eu.opsgenie.com;
// Jira Service Management Ops takes
// https://api.atlassian.com/jsm/ops/integration (same paths below it).
const DefaultAPIURL = "https://api.opsgenie.com"

// Limits of the Alert API.
const (
	maxTags   = 20
	maxTagLen = 50
)

// Config is one Opsgenie receiver. The API integration key comes from exactly
// one of api_key and api_key_file.
type Config struct {
	APIURL     string        `yaml:"api_url"`
	APIKey     config.Secret `yaml:"api_key"`
	APIKeyFile string        `yaml:"api_key_file"`
	Responders []Responder   `yaml:"responders"`
	Tags       []string      `yaml:"tags"`
	// PriorityMap maps a severity (critical, warning) to P1..P5. Severities
	// left out keep their defaults, critical P1 and warning P3.
	PriorityMap map[string]string `yaml:"priority_map"`
	Source      string            `yaml:"source"`
	Timeout     time.Duration     `yaml:"timeout"`
}

// Responder is a team, user, escalation or schedule to notify, named by
// exactly one of id, name and username (username only for users).
type Responder struct {
	Type     string `yaml:"type" json:"type"`
	ID       string `yaml:"id" json:"id,omitempty"`
	Name     string `yaml:"name" json:"name,omitempty"`
	Username string `yaml:"username" json:"username,omitempty"`
}

var (
	responderTypes = []string{"team", "user", "escalation", "schedule"}
	priorities     = []string{"P1", "P2", "P3", "P4", "P5"}
	// defaultPriorities apply to severities priority_map leaves out.
	defaultPriorities = map[string]string{alert.Critical.String(): "P1", alert.Warning.String(): "P3"}
)

func defaultConfig() Config {
	return Config{APIURL: DefaultAPIURL, Source: "vigil", Timeout: 10 * time.Second}
}

// UnmarshalYAML fills in the defaults for keys the file leaves out.
func (c *Config) UnmarshalYAML(unmarshal func(any) error) error {
	type plain Config
	p := plain(defaultConfig())
	if err := unmarshal(&p); err != nil {
		return err
	}
	*c = Config(p)
	return nil
}

// Validate reports every problem with c. Messages never quote the key.
func (c *Config) Validate() []config.FieldError {
	var errs []config.FieldError
	add := func(path, format string, args ...any) {
		errs = append(errs, config.FieldError{Path: path, Msg: fmt.Sprintf(format, args...)})
	}
	if u, err := url.Parse(c.APIURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		add("api_url", "must be an http or https URL, got %q", c.APIURL)
	}
	switch {
	case c.APIKey == "" && c.APIKeyFile == "":
		add("api_key", "required (or api_key_file)")
	case c.APIKey != "" && c.APIKeyFile != "":
		add("api_key", "set only one of api_key and api_key_file")
	}
	for i, r := range c.Responders {
		path := fmt.Sprintf("responders[%d]", i)
		if !slices.Contains(responderTypes, r.Type) {
			add(path+".type", "want one of team, user, escalation, schedule, got %q", r.Type)
		}
		set := 0
		for _, s := range []string{r.ID, r.Name, r.Username} {
			if s != "" {
				set++
			}
		}
		switch {
		case set != 1:
			add(path, "set exactly one of id, name, username")
		case r.Username != "" && r.Type != "user":
			add(path+".username", "only for type user; use name or id for a %s", r.Type)
		case r.Name != "" && r.Type == "user":
			add(path+".name", "a user is named by username or id")
		}
	}
	if len(c.Tags) > maxTags {
		add("tags", "at most %d tags, got %d", maxTags, len(c.Tags))
	}
	for i, tag := range c.Tags {
		if tag == "" || utf8.RuneCountInString(tag) > maxTagLen {
			add(fmt.Sprintf("tags[%d]", i), "must be 1 to %d characters", maxTagLen)
		}
	}
	for sev, p := range c.PriorityMap {
		if _, ok := defaultPriorities[sev]; !ok {
			add("priority_map."+sev, "unknown severity (want critical or warning)")
		}
		if !slices.Contains(priorities, p) {
			add("priority_map."+sev, "want P1 to P5, got %q", p)
		}
	}
	if c.Source == "" {
		add("source", "must not be empty")
	}
	if c.Timeout <= 0 {
		add("timeout", "must be positive")
	}
	return errs
}

// apiKey returns the key from wherever the config says it is.
func (c *Config) apiKey() (config.Secret, error) {
	if c.APIKey != "" {
		return c.APIKey, nil
	}
	key, err := config.ReadSecretFile(c.APIKeyFile)
	if err != nil {
		return "", fmt.Errorf("api_key_file: %w", err)
	}
	return key, nil
}

// priority returns the Opsgenie priority for a severity.
func (c *Config) priority(s alert.Severity) string {
	if p, ok := c.PriorityMap[s.String()]; ok {
		return p
	}
	if p, ok := defaultPriorities[s.String()]; ok {
		return p
	}
	return "P3"
}
