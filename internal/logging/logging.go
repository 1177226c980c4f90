// Package logging builds the structured logger both binaries use, from the `log:`
// section of their config.
package logging

import (
	"fmt"
	"io"
	"log/slog"

	"github.com/vigilmon/vigil/internal/config"
)

// Config is the `log:` section: level debug|info|warn|error, format text|json.
type Config struct {
	Level  string `yaml:"level"`
	Format string `yaml:"format"`
}

// Default is info-level text, what journald shows best.
func Default() Config { return Config{Level: "info", Format: "text"} }

// Validate checks the section found at path (e.g. "log").
func (c Config) Validate(path string) []config.FieldError {
	var errs []config.FieldError
	if _, err := level(c.Level); err != nil {
		errs = append(errs, config.FieldError{Path: path + ".level", Msg: err.Error()})
	}
	if c.Format != "text" && c.Format != "json" {
		errs = append(errs, config.FieldError{Path: path + ".format", Msg: fmt.Sprintf("want text or json, got %q", c.Format)})
	}
	return errs
}

// New returns a logger writing to w. An invalid config (which Validate reports)
// falls back to info/text rather than losing logs.
func New(w io.Writer, c Config) *slog.Logger {
	lvl, err := level(c.Level)
	if err != nil {
		lvl = slog.LevelInfo
	}
	opts := &slog.HandlerOptions{Level: lvl}
	if c.Format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

func level(s string) (slog.Level, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(s)); err != nil {
		return 0, fmt.Errorf("want debug, info, warn or error, got %q", s)
	}
	return l, nil
}
