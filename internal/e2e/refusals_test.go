package e2e

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestCollectorRefusesBadIngestAndKeepsServing sends what a broken or hostile
// client would, to the real binary, and checks each gets its reason while a good
// batch still goes through.
func TestCollectorRefusesBadIngestAndKeepsServing(t *testing.T) {
	r := newRig(t, time.Second)
	r.startCollector()
	url := r.api + "/api/v1/ingest"
	good := func(seq int) []byte {
		b, _ := json.Marshal(map[string]any{"agent_id": "e2e-agent", "seq": seq, "agent": map[string]any{"version": "x"},
			"host": map[string]any{"name": "probe"}, "events": []any{map[string]any{"ts": time.Now().UnixMilli(),
				"dataset": "system.load", "values": map[string]float64{"system.load.1": 0.5}}}})
		return b
	}
	var bomb bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&bomb, gzip.BestCompression)
	_, _ = zw.Write(make([]byte, 256<<20)) // 256 MiB of zeros, ~250 KiB on the wire
	_ = zw.Close()

	for _, tc := range []struct {
		name, token, encoding string
		body                  []byte
		status                int
		reason                string
	}{
		{"no token", "", "", good(1), 401, "unauthorized"},
		{"wrong token", "not-the-right-token-at-all", "", good(1), 401, "unauthorized"},
		{"garbage", e2eToken, "", []byte("\x7fELF garbage"), 400, "bad_json"},
		{"gzip bomb", e2eToken, "gzip", bomb.Bytes(), 413, "too_large"},
		{"oversized body", e2eToken, "", bytes.Repeat([]byte("a"), 9<<20), 413, "too_large"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, body := postRaw(url, tc.token, tc.encoding, tc.body)
			if status != tc.status || !strings.Contains(body, `"reason":"`+tc.reason+`"`) {
				t.Fatalf("status %d body %s; want %d with reason %s", status, body, tc.status, tc.reason)
			}
			if httpStatus(r.api+"/healthz") != 200 {
				t.Fatal("collector stopped serving after a bad request")
			}
		})
	}
	if status, body := postRaw(url, e2eToken, "", good(1)); status != 200 {
		t.Fatalf("good batch after the bad ones: %d %s", status, body)
	}
	for reason, want := range map[string]float64{"unauthorized": 2, "bad_json": 1, "too_large": 2} {
		got := metric(r.api+"/metrics", `vigil_collector_ingest_rejected_total{reason="`+reason+`"}`)
		if got != want {
			t.Errorf("rejected{reason=%s} = %v, want %v", reason, got, want)
		}
	}
}

// TestCheckConfigNamesEveryError runs both binaries with -check-config on broken
// files: exit 1 and every problem as file:line:col.
func TestCheckConfigNamesEveryError(t *testing.T) {
	for _, tc := range []struct {
		bin, config string
		want        []string // regexps matched against the output
	}{
		{"vigil-agent", "interval: 10s\nintervall: 5s\ncollector:\n  url: ftp://x\n  token: abcdefghijklmnopq\njitter: 20s\n",
			[]string{`agent\.yaml:2:1: .*intervall`, `agent\.yaml:4:\d+: .*url`, `agent\.yaml:6:\d+: .*jitter`}},
		{"vigil-agent", "spool:\n  max_bytes: lots\ninputs: [cpu, 7]\n",
			[]string{`agent\.yaml:2:\d+: .*max_bytes`}},
		{"vigil-collector", "listen: nowhere\nstore:\n  sqlite:\n    synchronous: sometimes\n  retension: 1h\n",
			[]string{`collector\.yaml:1:\d+: .*listen`, `collector\.yaml:4:\d+: .*synchronous`, `collector\.yaml:5:3: .*retension`}},
	} {
		t.Run(tc.bin, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), strings.TrimPrefix(tc.bin, "vigil-")+".yaml")
			writeFile(t, path, tc.config)
			out, err := exec.Command(filepath.Join(binDir, tc.bin), "-check-config", "-config", path).CombinedOutput()
			if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 {
				t.Fatalf("exit: %v, want status 1; output:\n%s", err, out)
			}
			for _, re := range tc.want {
				if !regexp.MustCompile(re).Match(out) {
					t.Errorf("output lacks %s:\n%s", re, out)
				}
			}
		})
	}
	r := newRig(t, time.Second)
	for bin, cfg := range map[string]string{"vigil-agent": r.agentCfg, "vigil-collector": r.collectorCfg} {
		if out, err := exec.Command(filepath.Join(binDir, bin), "-check-config", "-config", cfg).CombinedOutput(); err != nil {
			t.Errorf("%s -check-config on a valid file: %v\n%s", bin, err, out)
		}
	}
}
