package dispatch

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vigilmon/vigil/collector/alert"
	"github.com/vigilmon/vigil/internal/config"
)

// routeFile is how the lead embeds Route in collector.yaml.
type routeFile struct {
	Route     Route    `yaml:"route"`
	receivers []string `yaml:"-"`
}

func (f *routeFile) Validate() []config.FieldError {
	return config.Prefix("route", f.Route.Validate(f.receivers))
}

func parseRoute(t *testing.T, yml string) *Route {
	t.Helper()
	f := routeFile{receivers: []string{"ops", "pager", "db", "null"}}
	if err := config.Parse("collector.yaml", []byte(yml), &f); err != nil {
		t.Fatalf("parse:\n%v", err)
	}
	return &f.Route
}

const treeYAML = `
route:
  receiver: ops
  group_wait: 30s
  routes:
    - matchers: ['severity="critical"']
      receiver: pager
      repeat_interval: 1h
      continue: true
      routes:
        - matchers: ['host=~"db-.*"']
          group_by: [alertname]
    - matchers: ['team="db"']
      receiver: db
      group_by: ["..."]
      group_interval: 5m
    - matchers: ['team="db"']
      receiver: "null"
`

func TestRouteInheritance(t *testing.T) {
	root := compile(parseRoute(t, treeYAML))
	pagerDB := root.children[0].children[0]
	cases := []struct {
		name string
		n    *node
		want routeOptions
	}{
		{"root has defaults", root, routeOptions{receiver: "ops", groupBy: []string{"alertname", "host"},
			groupWait: 30 * time.Second, groupInterval: time.Minute, repeatInterval: 4 * time.Hour}},
		{"child overrides and inherits", root.children[0], routeOptions{receiver: "pager", groupBy: []string{"alertname", "host"},
			groupWait: 30 * time.Second, groupInterval: time.Minute, repeatInterval: time.Hour}},
		{"grandchild inherits from its parent, not the root", pagerDB, routeOptions{receiver: "pager", groupBy: []string{"alertname"},
			groupWait: 30 * time.Second, groupInterval: time.Minute, repeatInterval: time.Hour}},
		{"group all", root.children[1], routeOptions{receiver: "db", groupBy: []string{"..."}, groupAll: true,
			groupWait: 30 * time.Second, groupInterval: 5 * time.Minute, repeatInterval: 4 * time.Hour}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := c.n.opts
			if got.receiver != c.want.receiver || !slices.Equal(got.groupBy, c.want.groupBy) || got.groupAll != c.want.groupAll ||
				got.groupWait != c.want.groupWait || got.groupInterval != c.want.groupInterval ||
				got.repeatInterval != c.want.repeatInterval || got.resolveWait != c.want.resolveWait {
				t.Errorf("options = %+v, want %+v", got, c.want)
			}
		})
	}
}

func TestRouteMatch(t *testing.T) {
	root := compile(parseRoute(t, treeYAML))
	cases := []struct {
		name   string
		labels alert.Labels
		want   []string // receivers, in order
	}{
		{"no child matches: root", alert.Labels{"alertname": "Load", "host": "web-1"}, []string{"ops"}},
		{"first match stops", alert.Labels{"alertname": "Load", "team": "db"}, []string{"db"}},
		{"continue goes on to later siblings", alert.Labels{"alertname": "Load", "severity": "critical", "team": "db"}, []string{"pager", "db"}},
		{"depth first", alert.Labels{"alertname": "Load", "severity": "critical", "host": "db-1"}, []string{"pager"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var got []string
			for _, n := range root.match(c.labels) {
				got = append(got, n.opts.receiver)
			}
			if !slices.Equal(got, c.want) {
				t.Errorf("receivers = %v, want %v", got, c.want)
			}
		})
	}
	// Route keys tell apart routes with the same matchers.
	if a, b := root.children[1].key, root.children[2].key; a == b {
		t.Errorf("sibling routes share key %q", a)
	}
}

func TestGroupLabels(t *testing.T) {
	root := compile(parseRoute(t, treeYAML))
	l := alert.Labels{"alertname": "Load", "host": "db-1", "team": "db", "severity": "critical"}
	cases := []struct {
		name string
		n    *node
		want string
	}{
		{"default group_by", root, `{alertname="Load", host="db-1"}`},
		{"custom group_by", root.children[0].children[0], `{alertname="Load"}`},
		{"... takes every label but severity", root.children[1], `{alertname="Load", host="db-1", team="db"}`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := c.n.groupLabels(l).String(); got != c.want {
				t.Errorf("group labels = %s, want %s", got, c.want)
			}
		})
	}
}

func TestRouteConfigErrors(t *testing.T) {
	cases := []struct {
		name string
		yml  string
		want []string // substrings of the errors, in order
	}{
		{"root needs a receiver", "route:\n  group_wait: 1s\n", []string{"route.receiver: is required"}},
		{"root has no matchers", "route:\n  receiver: ops\n  matchers: ['a=b']\n", []string{"3:3: route.matchers: the root route matches every alert"}},
		{"unknown receiver", "route:\n  receiver: ops\n  routes:\n    - receiver: nobody\n", []string{"4:7: route.routes[0].receiver: unknown receiver \"nobody\""}},
		{"bad matcher", "route:\n  receiver: ops\n  routes:\n    - matchers: ['9x=1']\n", []string{"4:18: route.routes[0].matchers[0]:", "invalid label name"}},
		{"unknown key", "route:\n  receiver: ops\n  send_resolved: true\n", []string{"3:3:", "send_resolved"}},
		{"negative duration", "route:\n  receiver: ops\n  group_wait: -1s\n", []string{"3:15:"}},
		{"group_interval zero", "route:\n  receiver: ops\n  group_interval: 0s\n", []string{"route.group_interval: must be positive"}},
		{"repeat below group_interval", "route:\n  receiver: ops\n  repeat_interval: 30s\n", []string{"3:3: route.repeat_interval: repeat_interval (30s) must be at least group_interval (1m0s)"}},
		{"inherited repeat below child's group_interval", "route:\n  receiver: ops\n  repeat_interval: 2m\n  routes:\n    - group_interval: 5m\n",
			[]string{"5:7: route.routes[0].group_interval: repeat_interval (2m0s) must be at least group_interval (5m0s)"}},
		{"resolve_wait above group_interval", "route:\n  receiver: ops\n  resolve_wait: 2m\n", []string{"route.resolve_wait: resolve_wait (2m0s) must not exceed group_interval"}},
		{"bad group_by", "route:\n  receiver: ops\n  group_by: [alertname, alertname, 'a-b', '...']\n",
			[]string{`route.group_by[1]: "alertname" is listed twice`, `route.group_by[2]: invalid label name "a-b"`, `route.group_by[3]: "..." groups by every label`}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := routeFile{receivers: []string{"ops"}}
			err := config.Parse("collector.yaml", []byte(c.yml), &f)
			if err == nil {
				t.Fatal("accepted")
			}
			msg := err.Error()
			rest := msg
			for _, w := range c.want {
				i := strings.Index(rest, w)
				if i < 0 {
					t.Fatalf("error lacks %q (in order):\n%s", w, msg)
				}
				rest = rest[i+len(w):]
			}
		})
	}
}

func TestRouteValidExample(t *testing.T) {
	r := parseRoute(t, treeYAML)
	if errs := r.Validate([]string{"ops", "pager", "db", "null"}); len(errs) > 0 {
		t.Errorf("valid tree refused: %v", errs)
	}
	if errs := r.Validate([]string{"ops"}); len(errs) != 3 {
		t.Errorf("want 3 unknown receivers, got %v", errs)
	}
}
