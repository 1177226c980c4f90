package nrpepoll

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/vigilmon/vigil/internal/config"
)

// file is the part of collector.yaml this package owns.
type file struct {
	Targets Targets `yaml:"nrpe_targets"`
}

func (f *file) Validate() []config.FieldError {
	return config.Prefix("nrpe_targets", f.Targets.Validate())
}

func parse(t *testing.T, yaml string) (*file, []string) {
	t.Helper()
	var f file
	err := config.Parse("collector.yaml", []byte(yaml), &f)
	var errs config.Errors
	if err != nil && !errors.As(err, &errs) {
		t.Fatalf("parse: %v", err)
	}
	var msgs []string
	for _, e := range errs {
		msgs = append(msgs, e.Error())
	}
	return &f, msgs
}

func TestConfigDefaults(t *testing.T) {
	f, errs := parse(t, `
nrpe_targets:
  - host: web01.example.com
    plaintext: true
    commands:
      - {name: load, command: check_load}
      - {name: disk, command: check_disk, args: ["20%", "10%"], interval: 5m, max_attempts: 5}
  - host: db1
    address: 10.0.0.7:15666
    tls: {insecure_skip_verify: true}
    commands: [{name: load, command: check_load}]
`)
	if len(errs) > 0 {
		t.Fatalf("errors: %v", errs)
	}
	web := f.Targets[0]
	if web.Addr() != "web01.example.com:5666" || web.Timeout != 10*time.Second || web.Interval != time.Minute ||
		web.RetryInterval != 15*time.Second || web.MaxAttempts != 3 {
		t.Errorf("defaults: %+v", web)
	}
	disk := web.effective(web.Commands[1])
	if disk.Interval != 5*time.Minute || disk.RetryInterval != 15*time.Second || disk.MaxAttempts != 5 || len(disk.Args) != 2 {
		t.Errorf("command overrides: %+v", disk)
	}
	if f.Targets[1].Addr() != "10.0.0.7:15666" {
		t.Errorf("address: %s", f.Targets[1].Addr())
	}
}

func TestConfigAddr(t *testing.T) {
	for in, want := range map[string]string{
		"web01": "web01:5666", "10.0.0.5": "10.0.0.5:5666", "::1": "[::1]:5666", "[::1]": "[::1]:5666",
		"[::1]:99": "[::1]:99", "web01:15666": "web01:15666",
	} {
		if got := (&Target{Address: in}).Addr(); got != want {
			t.Errorf("Addr(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestConfigErrors(t *testing.T) {
	_, errs := parse(t, `
nrpe_targets:
  - host: web01
    plaintext: true
    tls: {ca_file: /etc/ca.pem}
    timeout: 0s
    max_attempts: 0
    commands:
      - {name: load, command: check_load}
      - {name: load, command: "check!x"}
      - {name: "bad name", command: check_disk, args: [""]}
      - {command: ""}
  - host: web01
    address: "web01:99999"
    tls: {cert_file: /x.pem}
    commands: []
  - host: "nrpe@x"
    tls: {ca_file: /nonexistent/ca.pem}
    commands: [{name: a, command: a}]
  - host: db1
    bogus: 1
    commands: [{name: a, command: a}]
`)
	want := []string{
		"tls: set, but plaintext is true",
		"timeout: must be positive",
		"max_attempts: want 1..100",
		`commands[1].name: duplicate check name "load"`,
		"commands[1]: join nrpe query",
		`commands[2].name: want 1..128 characters`,
		"commands[2]: join nrpe query",
		"commands[3].name: required",
		"commands[3].command: required",
		"address: port",
		"tls: cert_file and key_file go together",
		"commands: required",
		`duplicate host "web01"`,
		`host: want 1..59 characters`,
		"tls: read ca_file",
		"bogus",
	}
	all := strings.Join(errs, "\n")
	for _, w := range want {
		if !strings.Contains(all, w) {
			t.Errorf("missing error %q", w)
		}
	}
	if t.Failed() {
		t.Logf("errors:\n%s", all)
	}
	// Every error carries a position.
	for _, e := range errs {
		if !strings.HasPrefix(e, "collector.yaml:") {
			t.Errorf("no position: %s", e)
		}
	}
}

func TestTLSConfigBuild(t *testing.T) {
	pki := newPKI(t)
	c, err := TLSConfig{CAFile: pki.caFile, CertFile: pki.certFile, KeyFile: pki.keyFile}.Build("10.0.0.5")
	if err != nil {
		t.Fatal(err)
	}
	if c.ServerName != "10.0.0.5" || c.RootCAs == nil || len(c.Certificates) != 1 || c.InsecureSkipVerify {
		t.Errorf("got %+v", c)
	}
	c, err = TLSConfig{ServerName: "nrpe.example.com"}.Build("10.0.0.5")
	if err != nil || c.ServerName != "nrpe.example.com" || c.RootCAs != nil {
		t.Errorf("server_name: %+v, %v", c, err)
	}
	if _, err := (TLSConfig{CAFile: pki.keyFile}).Build(""); err == nil || !strings.Contains(err.Error(), "no PEM certificate") {
		t.Errorf("key as CA: %v", err)
	}
}

func ExampleTargets_Validate() {
	ts := Targets{{Host: "web01", Plaintext: true, Timeout: time.Second, Interval: time.Minute, RetryInterval: time.Second, MaxAttempts: 3,
		Commands: []Command{{Name: "load", Command: "check_load"}, {Name: "load", Command: "check_load"}}}}
	for _, e := range ts.Validate() {
		fmt.Println(e.Path+":", e.Msg)
	}
	// Output: [0].commands[1].name: duplicate check name "load" (also commands[0])
}
