// Package cli holds the command-line surface both binaries share: -config,
// -check-config and -version, with the same exit codes.
package cli

import (
	"flag"
	"fmt"
	"io"
)

// Flags are the parsed common flags.
type Flags struct {
	Config    string
	CheckOnly bool
}

// Parse parses args for the program name. When done is true the program exits
// with code at once (-version printed, or a usage error: 2).
func Parse(name, defaultConfig, version string, args []string, stdout, stderr io.Writer) (f Flags, code int, done bool) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&f.Config, "config", defaultConfig, "configuration file")
	fs.BoolVar(&f.CheckOnly, "check-config", false, "validate the configuration, print every error, and exit (1 when invalid)")
	showVersion := fs.Bool("version", false, "print the version and exit")
	if err := fs.Parse(args); err != nil {
		return f, 2, true
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "%s: unexpected arguments %q\n", name, fs.Args())
		return f, 2, true
	}
	if *showVersion {
		fmt.Fprintln(stdout, name, version)
		return f, 0, true
	}
	return f, 0, false
}

// ConfigResult ends a -check-config run, or reports a config error before the
// program starts: it prints err (every problem, one per line) and returns the exit
// code, or returns done=false when the program should go on running.
func ConfigResult(f Flags, err error, stdout, stderr io.Writer) (code int, done bool) {
	switch {
	case err != nil:
		fmt.Fprintln(stderr, err)
		return 1, true
	case f.CheckOnly:
		fmt.Fprintf(stdout, "%s: OK\n", f.Config)
		return 0, true
	}
	return 0, false
}
