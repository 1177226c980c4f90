package checks

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/vigilmon/vigil/internal/nagios"
)

// listFlag is a repeatable string flag (-p / -p /var).
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }

func (l *listFlag) Set(s string) error {
	*l = append(*l, s)
	return nil
}

// secondsFlag is a plugin timeout: "10" is ten seconds as plugins take it,
// and a Go duration ("500ms") is accepted too.
type secondsFlag time.Duration

func (s *secondsFlag) String() string { return time.Duration(*s).String() }

func (s *secondsFlag) Set(v string) error {
	d, err := time.ParseDuration(v)
	if err != nil {
		f, ferr := strconv.ParseFloat(v, 64)
		if ferr != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			return fmt.Errorf("parse timeout %q: want seconds or a duration like 500ms", v)
		}
		d = time.Duration(f * float64(time.Second))
	}
	if d <= 0 {
		return fmt.Errorf("parse timeout %q: must be positive", v)
	}
	*s = secondsFlag(d)
	return nil
}

// parseMinimum reads a threshold on a value that alerts when it is low
// (certificate days left): a plain number N means "alert below N", the
// range "N:", as check_http -C and check_disk take it. Anything with ':'
// or '@' is a full Nagios range, for whoever needs one.
func parseMinimum(s string) (*nagios.Range, error) {
	if s == "" {
		return nil, nil
	}
	if !strings.ContainsAny(s, ":@") {
		s += ":"
	}
	r, err := nagios.ParseRange(s)
	if err != nil {
		return nil, err
	}
	return &r, nil
}

// parseMinimums reads both thresholds with parseMinimum.
func parseMinimums(warn, crit string) (nagios.Thresholds, error) {
	w, err := parseMinimum(warn)
	if err != nil {
		return nagios.Thresholds{}, fmt.Errorf("parse -w: %w", err)
	}
	c, err := parseMinimum(crit)
	if err != nil {
		return nagios.Thresholds{}, fmt.Errorf("parse -c: %w", err)
	}
	return nagios.Thresholds{Warn: w, Crit: c}, nil
}

// parseRanges is nagios.ParseThresholds with the flag names in the error,
// so "-W" and "-w" mistakes are told apart.
func parseRanges(wName, warn, cName, crit string) (nagios.Thresholds, error) {
	var t nagios.Thresholds
	for _, f := range []struct {
		name, text string
		dst        **nagios.Range
	}{{wName, warn, &t.Warn}, {cName, crit, &t.Crit}} {
		if f.text == "" {
			continue
		}
		r, err := nagios.ParseRange(f.text)
		if err != nil {
			return nagios.Thresholds{}, fmt.Errorf("parse %s: %w", f.name, err)
		}
		*f.dst = &r
	}
	return t, nil
}

func ptr(v float64) *float64 { return &v }

// perf builds a perfdata item with the thresholds t.
func perf(label string, v float64, unit string, t nagios.Thresholds, minV, maxV *float64) nagios.Perf {
	return nagios.Perf{Label: label, Value: v, Unit: unit, Warn: t.Warn, Crit: t.Crit, Min: minV, Max: maxV}
}

// humanBytes writes n in binary units with one decimal, as df -h does.
func humanBytes(n float64) string {
	const units = "KMGTPE"
	if n < 1024 {
		return strconv.FormatFloat(n, 'f', 0, 64) + " B"
	}
	i := -1
	for n >= 1024 && i < len(units)-1 {
		n /= 1024
		i++
	}
	return strconv.FormatFloat(n, 'f', 1, 64) + " " + units[i:i+1] + "iB"
}

// seconds writes d as plugins print response times: "0.012".
func seconds(d time.Duration) string {
	return strconv.FormatFloat(d.Seconds(), 'f', 3, 64)
}

// round keeps a few decimals of a measurement for perfdata: beyond what
// the value can mean (a percentage to 0.01, an age to the millisecond) the
// digits are noise that only makes the line longer.
func round(v float64, decimals int) float64 {
	p := math.Pow10(decimals)
	return math.Round(v*p) / p
}
