package elastic

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/vigilmon/vigil/collector/alert"
	"github.com/vigilmon/vigil/internal/testutil/fakees"
)

// Alert state is compare-and-set: a collector that did not see the latest
// version loses, learns the winner's value and then writes on top of it.
func TestStateCompareAndSet(t *testing.T) {
	srv := fakees.New(fakees.Options{})
	defer srv.Close()
	a := openRig(t, srv, esClient(t, srv), testCommon(t), "a").st
	b := openRig(t, srv, esClient(t, srv), testCommon(t), "b").st
	ctx := context.Background()
	ev := func(id, msg string) []alert.Event {
		return []alert.Event{{Time: time.Now(), Kind: alert.EventState, AlertID: id, Message: msg}}
	}
	if err := a.SaveState(ctx, alert.BucketRules, map[string][]byte{"x1": []byte(`{"v":"a1"}`)}, nil, ev("x1", "a fired")); err != nil {
		t.Fatal(err)
	}
	err := b.SaveState(ctx, alert.BucketRules, map[string][]byte{"x1": []byte(`{"v":"b1"}`), "x2": []byte(`{"v":"b2"}`)}, nil,
		append(ev("x1", "b fired"), ev("x2", "b fired x2")...))
	var lost *alert.ConflictError
	if !errors.As(err, &lost) || string(lost.Current["x1"]) != `{"v":"a1"}` || len(lost.Current) != 1 {
		t.Fatalf("b's write over a's: %v, want a conflict on x1 with a's value", err)
	}
	if err := b.SaveState(ctx, alert.BucketRules, map[string][]byte{"x1": []byte(`{"v":"b3"}`)}, nil, nil); err != nil {
		t.Fatalf("b after adopting: %v", err)
	}
	if err := a.SaveState(ctx, alert.BucketRules, nil, []string{"x1"}, nil); !errors.As(err, &lost) {
		t.Fatalf("a deleting what b changed: %v, want a conflict", err)
	}
	got, err := (&StateStore{c: a.c, index: a.StateStore.index, versions: map[string]docVersion{}}).LoadState(ctx, alert.BucketRules)
	if err != nil || string(got["x1"]) != `{"v":"b3"}` || string(got["x2"]) != `{"v":"b2"}` {
		t.Fatalf("state %q, %v", got, err)
	}
	events, err := a.Events(ctx, alert.EventQuery{})
	if err != nil {
		t.Fatal(err)
	}
	var msgs []string
	for _, e := range events {
		msgs = append(msgs, e.Message)
	}
	if strings.Join(msgs, ",") != "b fired x2,a fired" {
		t.Errorf("history %q: the loser's event for x1 must not be stored", msgs)
	}
}
