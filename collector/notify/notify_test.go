package notify

import (
	"testing"

	"github.com/vigilmon/vigil/collector/alert"
)

func TestAlertIDs(t *testing.T) {
	got := AlertIDs([]alert.Alert{{ID: "b"}, {ID: "a"}, {ID: "b"}})
	if got != "b a" {
		t.Errorf("AlertIDs = %q, want %q (first keys the thread, no duplicates)", got, "b a")
	}
}
