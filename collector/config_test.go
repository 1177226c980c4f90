package main

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// The shipped example must stay valid and must say what the defaults are.
func TestExampleConfigIsValidAndMatchesDefaults(t *testing.T) {
	cfg, err := loadConfig(filepath.Join("..", "configs", "collector.yaml"))
	if err != nil {
		t.Fatalf("configs/collector.yaml: %v", err)
	}
	if !reflect.DeepEqual(cfg, defaultConfig()) {
		t.Errorf("example differs from the defaults it documents:\n example %+v\n default %+v", cfg, defaultConfig())
	}
}

// A cluster block is checked like the rest: every problem with file:line:col,
// and at most one cluster.
func TestClusterConfigErrors(t *testing.T) {
	path := filepath.Join(t.TempDir(), "collector.yaml")
	if err := os.WriteFile(path, []byte(`tokens_file: /etc/vigil/tokens
store:
  elasticsearch:
    addresses: [ftp://es:9200]
    api_key: abc
    username: vigil
    namespace: Bad-NS
    time_series: maybe
  opensearch:
    addresses: [https://search.example]
    auth: kerberos
`), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := loadConfig(path)
	if err == nil {
		t.Fatal("accepted")
	}
	for _, want := range []string{
		"collector.yaml:4:", "store.elasticsearch.addresses[0]: want an http(s) URL",
		"store.elasticsearch.api_key: use one of",
		"store.elasticsearch.namespace: want lowercase",
		"store.elasticsearch.time_series: want auto, on or off",
		"store.opensearch: configure one cluster",
		"store.opensearch.auth: want sigv4 or basic",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("missing %q in:\n%v", want, err)
		}
	}
	if strings.Contains(err.Error(), "abc") {
		t.Errorf("the API key reached the error text:\n%v", err)
	}
}
