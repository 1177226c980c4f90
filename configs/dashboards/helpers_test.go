// Package dashboards holds the Kibana and Grafana dashboards for the data
// streams vigil-collector writes. The tests parse every file the way Kibana's
// import and Grafana's dashboard import would, check that every reference
// resolves, and that fields.txt is exactly the set of fields the dashboards
// use.
package dashboards

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

func readFile(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.FromSlash(name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// strictUnmarshal decodes one JSON value and fails on trailing data.
func strictUnmarshal(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return fmt.Errorf("trailing data after the JSON value")
	}
	return nil
}

type rect struct {
	name       string
	x, y, w, h int
}

// checkGrid fails on panels outside the grid or on top of each other.
func checkGrid(t *testing.T, where string, width int, rs []rect) {
	t.Helper()
	for i, a := range rs {
		if a.x < 0 || a.y < 0 || a.w <= 0 || a.h <= 0 || a.x+a.w > width {
			t.Errorf("%s: panel %q at x=%d y=%d w=%d h=%d is outside the %d-column grid",
				where, a.name, a.x, a.y, a.w, a.h, width)
		}
		for _, b := range rs[i+1:] {
			if a.x < b.x+b.w && b.x < a.x+a.w && a.y < b.y+b.h && b.y < a.y+a.h {
				t.Errorf("%s: panels %q and %q overlap", where, a.name, b.name)
			}
		}
	}
}
