package config

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/goccy/go-yaml"
)

const secretValue = "hunter2-TOKEN"

type holder struct {
	User  string `json:"user" yaml:"user"`
	Token Secret `json:"token" yaml:"token"`
	Ptr   *Secret
	List  []Secret
	Map   map[string]Secret
}

func newHolder() holder {
	s := Secret(secretValue)
	return holder{User: "ops", Token: s, Ptr: &s, List: []Secret{s}, Map: map[string]Secret{"k": s}}
}

func TestSecretNeverPrinted(t *testing.T) {
	h := newHolder()
	outputs := map[string]string{}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%d"} {
		outputs["fmt "+verb+" struct"] = fmt.Sprintf(verb, h)
		outputs["fmt "+verb+" secret"] = fmt.Sprintf(verb, h.Token)
		outputs["fmt "+verb+" pointer"] = fmt.Sprintf(verb, h.Ptr)
	}
	outputs["fmt Sprint"] = fmt.Sprint(h, h.Token)
	outputs["fmt Println"] = fmt.Sprintln(h, h.Token)

	js, err := json.Marshal(h)
	if err != nil {
		t.Fatalf("json.Marshal: %v", err)
	}
	outputs["json"] = string(js)

	ys, err := yaml.Marshal(h)
	if err != nil {
		t.Fatalf("yaml.Marshal: %v", err)
	}
	outputs["yaml"] = string(ys)

	for name, newHandler := range map[string]func(*bytes.Buffer) slog.Handler{
		"text": func(b *bytes.Buffer) slog.Handler { return slog.NewTextHandler(b, nil) },
		"json": func(b *bytes.Buffer) slog.Handler { return slog.NewJSONHandler(b, nil) },
	} {
		var buf bytes.Buffer
		log := slog.New(newHandler(&buf))
		log.Info("config", "token", h.Token, "cfg", h, "ptr", h.Ptr, slog.Any("any", h.Token))
		log.Info("group", slog.Group("g", "token", h.Token))
		outputs["slog "+name] = buf.String()
	}

	for name, out := range outputs {
		t.Run(name, func(t *testing.T) {
			if strings.Contains(out, secretValue) || strings.Contains(out, fmt.Sprintf("%x", secretValue)) {
				t.Errorf("secret leaked: %s", out)
			}
		})
	}
	var decoded struct{ Token string }
	if err := json.Unmarshal(js, &decoded); err != nil || decoded.Token != "<secret>" {
		t.Errorf("json token = %q, %v, want <secret>", decoded.Token, err)
	}
	if !strings.Contains(outputs["slog text"], "token=<secret>") {
		t.Errorf("slog text output does not show token=<secret>: %s", outputs["slog text"])
	}
	if h.Token.Reveal() != secretValue {
		t.Errorf("Reveal = %q, want %q", h.Token.Reveal(), secretValue)
	}
}

func TestReadSecretFile(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	tests := []struct {
		name    string
		path    string
		want    string
		wantErr string
	}{
		{"trailing newline", write("nl", "s3cret\n"), "s3cret", ""},
		{"trailing whitespace", write("ws", "s3cret \t\r\n\n"), "s3cret", ""},
		{"leading space kept", write("lead", "  s3cret\n"), "  s3cret", ""},
		{"empty", write("empty", ""), "", "file is empty"},
		{"only newlines", write("blank", "\n \n"), "", "file is empty"},
		{"too large", write("large", strings.Repeat("x", maxSecretFile+1)), "", "larger than 64 KiB"},
		{"missing", filepath.Join(dir, "missing"), "", "no such file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ReadSecretFile(tt.path)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !strings.Contains(err.Error(), tt.path) {
					t.Errorf("ReadSecretFile = %v, want an error naming the path with %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || got.Reveal() != tt.want {
				t.Errorf("ReadSecretFile = %q, %v, want %q", got.Reveal(), err, tt.want)
			}
		})
	}
}
