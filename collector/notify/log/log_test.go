package log

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/vigilmon/vigil/collector/alert"
	"github.com/vigilmon/vigil/collector/notify"
	"github.com/vigilmon/vigil/internal/config"
)

var firedAt = time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC)

// fixture is a DiskFull alert on host's /var.
func fixture(id, host string, state alert.State, sev alert.Severity) alert.Alert {
	a := alert.Alert{
		ID:       id,
		Rule:     "DiskFull",
		Labels:   alert.Labels{alert.LabelAlertname: "DiskFull", alert.LabelHost: host, "mount_point": "/var"},
		State:    state,
		Severity: sev,
		Value:    0.93,
		FiredAt:  firedAt,
	}
	if state == alert.Resolved {
		a.ResolvedAt = firedAt.Add(time.Hour)
	}
	return a
}

func TestNotify(t *testing.T) {
	load := alert.Alert{ID: "l1", Labels: alert.Labels{alert.LabelAlertname: "Load"}, State: alert.Firing,
		Severity: alert.Warning, Value: 4, Annotations: map[string]string{"summary": "load is high"}}
	flapping := fixture("f1", "db-1", alert.Firing, alert.Warning)
	flapping.Flapping = true
	tests := []struct {
		name   string
		group  notify.Group
		alerts []alert.Alert
		want   map[string]any
	}{
		{
			name:   "firing",
			group:  notify.Group{Receiver: "ops", Key: "g1"},
			alerts: []alert.Alert{fixture("a1", "web-2", alert.Firing, alert.Warning), fixture("a2", "web-1", alert.Firing, alert.Critical), load},
			want: map[string]any{
				"level": "WARN", "msg": "notification", "integration": "log", "receiver": "ops", "status": "firing",
				"group_key": "g1", "alerts": 3.0, "ids": "a1,a2,l1", "names": "DiskFull,Load", "hosts": "web-1,web-2",
				"severity": "critical",
				"summary":  "DiskFull on web-2 (value 0.93); DiskFull on web-1 (value 0.93); load is high",
			},
		},
		{
			name:   "resolved",
			group:  notify.Group{Receiver: "ops", Key: "g1", Test: true},
			alerts: []alert.Alert{fixture("a1", "web-1", alert.Resolved, alert.Critical)},
			want: map[string]any{
				"level": "INFO", "msg": "notification", "integration": "log", "receiver": "ops", "status": "resolved",
				"group_key": "g1", "alerts": 1.0, "ids": "a1", "names": "DiskFull", "hosts": "web-1",
				"summary": "DiskFull on web-1 (value 0.93)", "test": true,
			},
		},
		{
			name:   "flapping with a resolved one",
			alerts: []alert.Alert{fixture("a1", "web-1", alert.Resolved, alert.Critical), flapping},
			want: map[string]any{
				"level": "WARN", "msg": "notification", "integration": "log", "receiver": "", "status": "flapping",
				"group_key": "", "alerts": 2.0, "ids": "a1,f1", "names": "DiskFull", "hosts": "db-1,web-1",
				"severity": "warning", "summary": "DiskFull on web-1 (value 0.93); DiskFull on db-1 (value 0.93)",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			n := New(Config{}, slog.New(slog.NewJSONHandler(&buf, nil)))
			retry, err := n.Notify(notify.WithGroup(t.Context(), tt.group), tt.alerts)
			if retry || err != nil {
				t.Errorf("Notify = %v, %v; want false, nil", retry, err)
			}
			lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
			if len(lines) != 1 {
				t.Fatalf("logged %d records, want 1:\n%s", len(lines), buf.String())
			}
			var got map[string]any
			if err := json.Unmarshal([]byte(lines[0]), &got); err != nil {
				t.Fatal(err)
			}
			delete(got, "time")
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("record:\n%v\nwant:\n%v", got, tt.want)
			}
		})
	}
}

func TestNotifyNothing(t *testing.T) {
	var buf bytes.Buffer
	n := New(Config{}, slog.New(slog.NewJSONHandler(&buf, nil)))
	if retry, err := n.Notify(t.Context(), nil); retry || err != nil || buf.Len() != 0 {
		t.Errorf("Notify(nil) = %v, %v and logged %q; want nothing", retry, err, buf.String())
	}
	if retry, err := New(Config{}, nil).Notify(t.Context(), []alert.Alert{fixture("a", "h", alert.Firing, alert.Critical)}); retry || err != nil {
		t.Errorf("Notify with a nil logger = %v, %v", retry, err)
	}
}

type file struct {
	Log *Config `yaml:"log"`
}

func TestConfig(t *testing.T) {
	var f file
	if err := config.Parse("collector.yaml", []byte("log: {}\n"), &f); err != nil || f.Log == nil {
		t.Errorf("Parse(log: {}) = %v, %+v; want an empty config", err, f.Log)
	}
	err := config.Parse("collector.yaml", []byte("log:\n  level: debug\n"), &f)
	if err == nil || !strings.Contains(err.Error(), "2:3:") {
		t.Errorf("Parse with an unknown key = %v, want an error at 2:3", err)
	}
}
