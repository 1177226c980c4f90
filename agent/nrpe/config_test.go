package nrpe

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/vigilmon/vigil/internal/config"
)

// file is how agent.yaml embeds the section.
type file struct {
	NRPE *Config `yaml:"nrpe"`
}

func (f *file) Validate() []config.FieldError {
	if f.NRPE == nil {
		return nil
	}
	return config.Prefix("nrpe", f.NRPE.Validate())
}

func TestConfig(t *testing.T) {
	tests := []struct {
		name    string
		yaml    string
		want    *Config
		wantErr []string
	}{
		{
			name: "defaults",
			yaml: "nrpe:\n  plaintext: true\n",
			want: &Config{Listen: ":5666", Plaintext: true, AllowedHosts: []string{"127.0.0.1", "::1"},
				ConnectionTimeout: 10 * time.Second, CommandTimeout: time.Minute, MaxConnections: 16},
		},
		{
			name: "everything set",
			yaml: `nrpe:
  listen: 10.1.2.3:5666
  tls: {cert_file: /etc/vigil/nrpe.crt, key_file: /etc/vigil/nrpe.key, client_ca_file: /etc/vigil/ca.crt}
  allowed_hosts: [10.0.0.0/8, 192.168.1.5, "fd00::/8"]
  allow_arguments: true
  connection_timeout: 5s
  command_timeout: 30s
  max_connections: 4
  commands:
    check_root: {check: disk_root}
    check_disk:
      check: disk
      params:
        - {name: path, type: path}
        - {name: warn, type: range, pattern: '\d+%?'}
`,
			want: &Config{
				Listen:       "10.1.2.3:5666",
				TLS:          TLSConfig{CertFile: "/etc/vigil/nrpe.crt", KeyFile: "/etc/vigil/nrpe.key", ClientCAFile: "/etc/vigil/ca.crt"},
				AllowedHosts: []string{"10.0.0.0/8", "192.168.1.5", "fd00::/8"}, AllowArguments: true,
				ConnectionTimeout: 5 * time.Second, CommandTimeout: 30 * time.Second, MaxConnections: 4,
				Commands: map[string]CommandConfig{
					"check_root": {Check: "disk_root"},
					"check_disk": {Check: "disk", Params: []ParamConfig{{Name: "path", Type: "path"}, {Name: "warn", Type: "range", Pattern: `\d+%?`}}},
				},
			},
		},
		{name: "neither tls nor plaintext", yaml: "nrpe:\n  listen: ':5666'\n",
			wantErr: []string{"nrpe.tls: a certificate is required", "anonymous-DH", "plaintext: true"}},
		{name: "both", yaml: "nrpe:\n  plaintext: true\n  tls: {cert_file: /c, key_file: /k}\n", wantErr: []string{"nrpe.plaintext: set either tls or plaintext"}},
		{name: "half a certificate", yaml: "nrpe:\n  tls: {cert_file: /c}\n", wantErr: []string{"nrpe.tls: set both cert_file and key_file"}},
		{name: "client CA without certificate", yaml: "nrpe:\n  plaintext: true\n  tls: {client_ca_file: /ca}\n",
			wantErr: []string{"nrpe.tls.client_ca_file: client certificates need a server certificate"}},
		{
			name: "everything wrong",
			yaml: `nrpe:
  listen: 5666
  plaintext: true
  allowed_hosts: [nagios.example.com, 10.0.0.0/33]
  connection_timeout: 1ms
  command_timeout: 0s
  max_connections: 0
  commands:
    "bad;name": {check: x}
    nocheck: {}
    _NRPE_CHECK: {check: x}
    withparams:
      check: x
      params: [{name: a, type: int}, {name: a, type: bool}, {type: string}, {name: re, type: int, pattern: '('}]
`,
			wantErr: []string{
				`nrpe.listen: want host:port`, `nrpe.allowed_hosts[0]: want an IP address or a CIDR block, got "nagios.example.com" (host names are not resolved)`,
				`nrpe.allowed_hosts[1]: parse CIDR "10.0.0.0/33"`, "nrpe.connection_timeout: must be at least 100ms", "nrpe.command_timeout: must be at least 1s",
				"nrpe.max_connections: must be at least 1", `nrpe.commands.bad;name: command name "bad;name" contains`,
				"nrpe.commands.nocheck.check: required", "nrpe.commands._NRPE_CHECK: _NRPE_CHECK is answered by the server itself",
				"nrpe.commands.withparams.params: declared, but allow_arguments is false",
				`nrpe.commands.withparams.params[1].name: "a" declared twice`, `nrpe.commands.withparams.params[1].type: unknown type "bool" (known: float, int, path, range, string)`,
				"nrpe.commands.withparams.params[2].name: required", "nrpe.commands.withparams.params[2].pattern: required for type string",
				"nrpe.commands.withparams.params[3].pattern: compile pattern",
			},
		},
		{name: "empty allowed_hosts", yaml: "nrpe:\n  plaintext: true\n  allowed_hosts: []\n", wantErr: []string{"nrpe.allowed_hosts: empty: list the client addresses"}},
		{name: "too many params", yaml: "nrpe:\n  plaintext: true\n  allow_arguments: true\n  commands:\n    c:\n      check: x\n      params: [" +
			strings.TrimSuffix(strings.Repeat("{name: p, type: int}, ", 17), ", ") + "]\n",
			wantErr: []string{"nrpe.commands.c.params: 17 params, NRPE carries at most 16"}},
		{name: "unknown key", yaml: "nrpe:\n  plaintext: true\n  dont_blame_nrpe: 1\n", wantErr: []string{"3:3:", "dont_blame_nrpe"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var f file
			err := config.Parse("agent.yaml", []byte(tt.yaml), &f)
			if tt.want != nil {
				if err != nil {
					t.Fatalf("Parse: %v", err)
				}
				if !reflect.DeepEqual(f.NRPE, tt.want) {
					t.Errorf("config = %+v, want %+v", f.NRPE, tt.want)
				}
				return
			}
			if err == nil {
				t.Fatal("Parse: no error")
			}
			for _, want := range tt.wantErr {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error lacks %q:\n%v", want, err)
				}
			}
		})
	}
}
