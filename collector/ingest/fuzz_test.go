package ingest

import (
	"bytes"
	"errors"
	"math"
	"testing"

	"github.com/vigilmon/vigil/internal/model"
)

// FuzzDecodeBatch feeds arbitrary bodies, raw or as gzip, through the same
// decompress + decode + validate path the handler uses. It must never panic, and
// whatever it accepts must satisfy the invariants the store relies on.
func FuzzDecodeBatch(f *testing.F) {
	f.Add(mustJSON(f, validBatch(1)), false)
	f.Add(gz(f, mustJSON(f, validBatch(2))), true)
	withCheck := validBatch(3)
	withCheck.Checks = []model.CheckResult{validCheck()}
	f.Add(mustJSON(f, withCheck), false)
	dec := NewDecoder(1<<20, DefaultLimits)
	f.Fuzz(func(t *testing.T, data []byte, gzipped bool) {
		enc := ""
		if gzipped {
			enc = "gzip"
		}
		b, err := dec.Decode(bytes.NewReader(data), enc)
		if err != nil {
			var rej *RejectError
			if !errors.As(err, &rej) || rej.Reason == "" || rej.Status < 400 {
				t.Fatalf("decode error without a reason or status: %v", err)
			}
			return
		}
		if b.AgentID == "" || b.Seq == 0 || b.Seq > math.MaxInt64 || b.Host.Name == "" {
			t.Fatalf("accepted a batch missing its identity: %+v", b)
		}
		for _, c := range b.Checks {
			if c.State < 0 || c.State > 3 || c.Attempt < 1 || c.Attempt > c.MaxAttempts {
				t.Fatalf("accepted an invalid check result: %+v", c)
			}
		}
		for _, e := range b.Events {
			if len(e.Values) == 0 || e.Timestamp < minTimestampMS {
				t.Fatalf("accepted an invalid event: %+v", e)
			}
		}
	})
}
