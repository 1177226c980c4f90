package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/vigilmon/vigil/agent/input"
	"github.com/vigilmon/vigil/internal/config"
)

// The shipped example must stay valid and must say what the defaults are.
func TestExampleConfigIsValidAndMatchesDefaults(t *testing.T) {
	cfg, err := loadConfig(filepath.Join("..", "configs", "agent.yaml"))
	if err != nil {
		t.Fatalf("configs/agent.yaml: %v", err)
	}
	def := defaultConfig()
	if cfg.Interval != def.Interval || cfg.Spool != def.Spool || cfg.Collector != def.Collector ||
		!slices.Equal(cfg.Inputs, def.Inputs) || cfg.MetricsListen != def.MetricsListen {
		t.Errorf("example differs from the defaults it documents:\n example %+v\n default %+v", cfg, def)
	}
}

func TestInputsListReplacesDefault(t *testing.T) {
	var cfg = defaultConfig()
	if err := config.Parse("agent.yaml", []byte("inputs: [cpu, memory]\n"), &cfg); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(cfg.Inputs, []string{"cpu", "memory"}) {
		t.Errorf("inputs = %v, want exactly [cpu memory]", cfg.Inputs)
	}
	if got := len(input.Names()); got < 8 {
		t.Errorf("default inputs = %d, want all 8 registered", got)
	}
}

func TestTokenSources(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "tok")
	if err := os.WriteFile(file, []byte("from-file-0123456789\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("VIGIL_TEST_TOKEN", "from-env-0123456789")
	for _, tc := range []struct {
		c    CollectorConfig
		want string
		err  string
	}{
		{CollectorConfig{TokenFile: file}, "from-file-0123456789", ""},
		{CollectorConfig{TokenEnv: "VIGIL_TEST_TOKEN"}, "from-env-0123456789", ""},
		{CollectorConfig{Token: "inline-0123456789"}, "inline-0123456789", ""},
		{CollectorConfig{TokenEnv: "VIGIL_TEST_UNSET"}, "", "VIGIL_TEST_UNSET"},
		{CollectorConfig{TokenFile: filepath.Join(dir, "missing")}, "", "missing"},
	} {
		got, err := tc.c.token()
		if got.Reveal() != tc.want || (tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err))) {
			t.Errorf("token(%+v) = %q, %v; want %q, error containing %q", tc.c, got.Reveal(), err, tc.want, tc.err)
		}
	}
}

// Checks and the NRPE server are validated together: a bad built-in
// check's flags and an NRPE command naming no check are reported with
// their place in the file.
func TestChecksAndNRPEConfigErrors(t *testing.T) {
	cfg := defaultConfig()
	err := config.Parse("agent.yaml", []byte(`checks:
  - name: root
    builtin: [disk, -w, nonsense]
nrpe:
  plaintext: true
  commands:
    check_root: {check: root}
    check_gone: {check: gone}
`), &cfg)
	if err == nil {
		t.Fatal("accepted")
	}
	for _, want := range []string{"agent.yaml:3:", "agent.yaml:8:", `no check named "gone"`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
	cfg = defaultConfig()
	if err := config.Parse("agent.yaml", []byte(`checks:
  - {name: root, builtin: [disk, -w, 20%, -c, 10%, -p, /]}
nrpe:
  plaintext: true
  commands:
    check_root: {check: root}
`), &cfg); err != nil {
		t.Fatalf("valid config refused: %v", err)
	}
}
