package config

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"unicode"
)

// Secret is a string that must not reach logs or dumps: String, GoString,
// Format (every fmt verb), MarshalJSON, MarshalYAML and LogValue all give
// "<secret>". Reveal gives
// the value, for the one place that needs it (an Authorization header, an
// SMTP login). Keep Secret fields exported: fmt only calls String on
// exported fields of a struct, and prints unexported ones raw.
type Secret string

const redactedSecret = "<secret>"

// Reveal returns the secret itself.
func (s Secret) Reveal() string { return string(s) }

// String hides the secret from fmt's %v, %s, %q, %x and %+v.
func (s Secret) String() string { return redactedSecret }

// GoString hides the secret from %#v.
func (s Secret) GoString() string { return `config.Secret("` + redactedSecret + `")` }

// Format hides the secret from every fmt verb: without it, a verb that does
// not use String (%d, say) prints the string itself.
func (s Secret) Format(f fmt.State, verb rune) {
	if verb == 'v' && f.Flag('#') {
		_, _ = io.WriteString(f, s.GoString())
		return
	}
	_, _ = fmt.Fprintf(f, fmt.FormatString(f, verb), redactedSecret)
}

// MarshalJSON hides the secret from encoding/json and slog's JSON handler.
func (s Secret) MarshalJSON() ([]byte, error) { return []byte(`"` + redactedSecret + `"`), nil }

// MarshalYAML hides the secret from YAML dumps of a config.
func (s Secret) MarshalYAML() (any, error) { return redactedSecret, nil }

// LogValue hides the secret from log/slog.
func (s Secret) LogValue() slog.Value { return slog.StringValue(redactedSecret) }

// maxSecretFile bounds what ReadSecretFile reads: a secret is a password or
// a token, and a huge file is a mistake (a path to the wrong file).
const maxSecretFile = 64 << 10

// ReadSecretFile reads a secret from a file, such as a password mounted by
// systemd's LoadCredential or a Kubernetes secret, dropping trailing
// whitespace and newlines. An empty file is an error, since it almost
// always means a provisioning step did not run.
func ReadSecretFile(path string) (Secret, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("read secret file: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxSecretFile+1))
	if err != nil {
		return "", fmt.Errorf("read secret file: %w", err)
	}
	if len(data) > maxSecretFile {
		return "", fmt.Errorf("read secret file %s: larger than %d KiB", path, maxSecretFile>>10)
	}
	s := strings.TrimRightFunc(string(data), unicode.IsSpace)
	if s == "" {
		return "", fmt.Errorf("read secret file %s: file is empty", path)
	}
	return Secret(s), nil
}
