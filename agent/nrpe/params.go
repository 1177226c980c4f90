package nrpe

import (
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/vigilmon/vigil/internal/nagios"
)

// Parameter types a command's params may declare.
const (
	TypeInt    = "int"    // decimal integer, optional sign
	TypeFloat  = "float"  // decimal number, optional sign and exponent; finite
	TypeRange  = "range"  // Monitoring Plugins threshold range: 10, 10:, ~:10, 10:20, @10:20
	TypePath   = "path"   // absolute, clean path ("/var/log"), no "..", at most 4096 bytes
	TypeString = "string" // anything the (required) pattern allows
)

// paramTypes checks a value of each type; the pattern and the forbidden
// characters are checked besides.
var paramTypes = map[string]func(string) error{
	TypeInt:    checkInt,
	TypeFloat:  checkFloat,
	TypeRange:  checkRange,
	TypePath:   checkPath,
	TypeString: checkString,
}

// ParamTypes lists the known parameter types, sorted.
func ParamTypes() []string {
	names := make([]string, 0, len(paramTypes))
	for n := range paramTypes {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// nasty is nrpe's default nasty_metachars (|`&><'\[]{}; CR LF) plus '"':
// no argument may hold one, whatever its pattern says. Arguments never pass
// through a shell here, but the plugin they reach may hand them to one.
const nasty = "|`&><'\"\\[]{};\r\n"

// nastyShown is nasty as people read it in messages. It spells out the pipe:
// in an answer, a '|' would start perfdata.
const nastyShown = "pipe ` & > < ' \" \\ [ ] { } ; CR LF"

// errNasty is returned for a query holding a forbidden character.
var errNasty = errors.New("contains a forbidden character")

// checkQuery applies nrpe's checks on the whole query before it is split:
// no nasty metacharacter and no "$(" (command substitution).
func checkQuery(q string) error {
	if i := strings.IndexAny(q, nasty); i >= 0 {
		return fmt.Errorf("check query: %w %q at offset %d (forbidden: %s)", errNasty, q[i], i, nastyShown)
	}
	if i := strings.Index(q, "$("); i >= 0 {
		return fmt.Errorf("check query: %w \"$(\" at offset %d", errNasty, i)
	}
	return nil
}

// param is a compiled ParamConfig.
type param struct {
	name    string
	check   func(string) error
	pattern *regexp.Regexp // nil: the type alone decides
}

func compileParams(cfgs []ParamConfig) ([]param, error) {
	out := make([]param, 0, len(cfgs))
	for _, c := range cfgs {
		check, ok := paramTypes[c.Type]
		if !ok {
			return nil, fmt.Errorf("param %s: unknown type %q", c.Name, c.Type)
		}
		p := param{name: c.Name, check: check}
		if c.Pattern != "" {
			re, err := compilePattern(c.Pattern)
			if err != nil {
				return nil, fmt.Errorf("param %s: %w", c.Name, err)
			}
			p.pattern = re
		}
		out = append(out, p)
	}
	return out, nil
}

// checkArgs checks a query's arguments against the declared params. Its
// errors name the param but never quote the value: arguments may carry
// credentials (check_mysql!user!password) and errors are logged.
func checkArgs(params []param, args []string) error {
	if len(args) != len(params) {
		return fmt.Errorf("check arguments: got %d, the command declares %d", len(args), len(params))
	}
	for i, p := range params {
		if err := p.check(args[i]); err != nil {
			return fmt.Errorf("check argument %d (%s): %w", i+1, p.name, err)
		}
		if p.pattern != nil && !p.pattern.MatchString(args[i]) {
			return fmt.Errorf("check argument %d (%s): does not match its pattern", i+1, p.name)
		}
	}
	return nil
}

var (
	intRE   = regexp.MustCompile(`^[-+]?[0-9]+$`)
	floatRE = regexp.MustCompile(`^[-+]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][-+]?[0-9]+)?$`)
)

func checkInt(s string) error {
	if !intRE.MatchString(s) {
		return errors.New("not a decimal integer")
	}
	if _, err := strconv.ParseInt(s, 10, 64); err != nil {
		return errors.New("integer out of range")
	}
	return nil
}

// checkFloat accepts plain decimal notation only: ParseFloat alone would
// also take "inf", "nan", hex floats and underscores.
func checkFloat(s string) error {
	if !floatRE.MatchString(s) {
		return errors.New("not a decimal number")
	}
	if f, err := strconv.ParseFloat(s, 64); err != nil || math.IsInf(f, 0) {
		return errors.New("number out of range")
	}
	return nil
}

func checkRange(s string) error {
	if _, err := nagios.ParseRange(s); err != nil {
		return errors.New("not a threshold range")
	}
	return nil
}

// maxPath is PATH_MAX on Linux.
const maxPath = 4096

func checkPath(s string) error {
	switch {
	case len(s) > maxPath:
		return fmt.Errorf("path longer than %d bytes", maxPath)
	case !filepath.IsAbs(s):
		return errors.New("path is not absolute")
	case filepath.Clean(s) != s:
		// Also catches "..": Clean removes every ".." it can, and an
		// absolute path keeps none.
		return errors.New("path is not clean (no //, /./, /../ or trailing /)")
	}
	return nil
}

// checkString refuses a leading '-': arguments become whole argv elements,
// and one that looks like an option would be read as one by the plugin.
func checkString(s string) error {
	if strings.HasPrefix(s, "-") {
		return errors.New("starts with '-' and would read as an option")
	}
	return nil
}
