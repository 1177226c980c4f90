package silence

import (
	"context"
	"testing"
	"time"

	"github.com/vigilmon/vigil/collector/alert"
	"github.com/vigilmon/vigil/collector/alert/alerttest"
)

// A silence or acknowledgement made through one collector applies on another
// sharing the store once it reloads, and an expired silence goes there too.
func TestReloadSharesSilencesAndAcks(t *testing.T) {
	ctx := context.Background()
	shared := alerttest.NewShared()
	c := &clock{t: t0}
	a := newManager(t, shared.View(), c, Options{})
	b := newManager(t, shared.View(), c, Options{})
	s, err := a.Create(ctx, Silence{Matchers: matchers(t, `host="db-1"`), EndsAt: t0.Add(time.Hour), CreatedBy: "ana", Comment: "swap"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Acknowledge(ctx, Ack{AlertID: "x1", Severity: alert.Warning, Author: "ana", Comment: "on it"}); err != nil {
		t.Fatal(err)
	}
	labels := alert.Labels{"host": "db-1", "alertname": "DiskFull"}
	if len(b.Silenced(labels, t0)) != 0 {
		t.Fatal("b sees the silence before reloading")
	}
	if err := b.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	if ids := b.Silenced(labels, t0); len(ids) != 1 || ids[0] != s.ID {
		t.Errorf("b after reload: silenced by %v, want %s", ids, s.ID)
	}
	if _, ok := b.Acked("x1", alert.Warning, t0); !ok {
		t.Error("b after reload: x1 not acknowledged")
	}
	if err := a.Expire(ctx, s.ID, "ana"); err != nil {
		t.Fatal(err)
	}
	c.set(t0.Add(time.Minute))
	if err := b.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	if ids := b.Silenced(labels, t0.Add(time.Minute)); len(ids) != 0 {
		t.Errorf("b still silences after a expired it: %v", ids)
	}
}
