package nagios

import (
	"errors"
	"fmt"
	"strings"
)

// Perf is one perfdata item, 'label'=value[UOM];[warn];[crit];[min];[max],
// with the unit normalised: Unit is "" (a count), "%", "s", "B", "c" or,
// for a unit this package does not know, the unit exactly as printed.
// Value, the Warn and Crit bounds, Min and Max are all in Unit ("5ms" is
// Value 0.005, Unit "s"). Nil fields were empty or absent.
type Perf struct {
	Label      string
	Value      float64
	Unit       string
	Warn, Crit *Range
	Min, Max   *float64
}

// ErrUndetermined is wrapped by the error for an item whose value is "U":
// the plugin says it could not measure this one, which a caller may want to
// count apart from garbage.
var ErrUndetermined = errors.New("value is U (undetermined)")

// PerfErrors lists the perfdata items that were skipped, one error each. It
// is the error ParseOutput returns, so a caller can count them with
// errors.As and still match ErrUndetermined with errors.Is.
type PerfErrors []error

func (e PerfErrors) Error() string {
	if len(e) == 1 {
		return e[0].Error()
	}
	msgs := make([]string, len(e))
	for i, err := range e {
		msgs[i] = err.Error()
	}
	return fmt.Sprintf("%d bad perfdata items: %s", len(e), strings.Join(msgs, "; "))
}

func (e PerfErrors) Unwrap() []error { return e }

// ParsePerf parses space-separated perfdata items. A bad item is skipped
// and reported in the error list, quoted as it appeared; the items around
// it are still returned.
func ParsePerf(s string) ([]Perf, []error) {
	var perfs []Perf
	var errs []error
	for i := skipSpace(s, 0); i < len(s); i = skipSpace(s, i) {
		p, end, err := parseItem(s, i)
		if err != nil {
			errs = append(errs, fmt.Errorf("parse perfdata %q: %w", s[i:end], err))
		} else {
			perfs = append(perfs, p)
		}
		i = end
	}
	return perfs, errs
}

// parseItem reads the item starting at s[i] (not a space) and returns where
// it ends. On error the end is still the end of the item, so parsing goes
// on with the next one.
func parseItem(s string, i int) (Perf, int, error) {
	var label string
	j := i
	if s[j] == '\'' {
		// Quoted label: '' is a literal quote, spaces are allowed.
		var b strings.Builder
		closed := false
		for j++; j < len(s); j++ {
			if s[j] != '\'' {
				b.WriteByte(s[j])
				continue
			}
			if j+1 < len(s) && s[j+1] == '\'' {
				b.WriteByte('\'')
				j++
				continue
			}
			closed = true
			j++
			break
		}
		if !closed {
			// Where the label was meant to end is anyone's guess;
			// resynchronising would turn its words into items.
			return Perf{}, len(s), errors.New("unterminated quoted label")
		}
		if j >= len(s) || s[j] != '=' {
			return Perf{}, skipItem(s, j), errors.New("missing '=' after quoted label")
		}
		label = b.String()
	} else {
		for j < len(s) && !isSpace(s[j]) && s[j] != '=' {
			j++
		}
		if j >= len(s) || s[j] != '=' {
			return Perf{}, j, errors.New("missing '='")
		}
		label = s[i:j]
		if strings.Contains(label, "'") {
			return Perf{}, skipItem(s, j), errors.New("quote inside an unquoted label")
		}
	}
	end := skipItem(s, j+1)
	if err := checkLabel(label); err != nil {
		return Perf{}, end, err
	}
	p, err := parseFields(s[j+1 : end])
	p.Label = label
	return p, end, err
}

func checkLabel(label string) error {
	if label == "" {
		return errors.New("empty label")
	}
	for i := 0; i < len(label); i++ {
		if c := label[i]; c < 0x20 || c == 0x7f {
			return fmt.Errorf("control character %q in label", c)
		}
	}
	return nil
}

// parseFields reads value[UOM];warn;crit;min;max. Trailing fields may be
// missing or empty ("load1=0.150;;;0;").
func parseFields(text string) (Perf, error) {
	fields := strings.Split(text, ";")
	if len(fields) > 5 {
		return Perf{}, fmt.Errorf("%d fields, at most 5 (value;warn;crit;min;max)", len(fields))
	}
	for len(fields) < 5 {
		fields = append(fields, "")
	}
	value := fields[0]
	switch {
	case value == "":
		return Perf{}, errors.New("missing value")
	case value[0] == 'U':
		return Perf{}, ErrUndetermined
	}
	n := scanNumber(value)
	if n == 0 {
		return Perf{}, fmt.Errorf("value %q is not a number", value)
	}
	v, err := parseNumber(value[:n])
	if err != nil {
		return Perf{}, fmt.Errorf("value: %w", err)
	}
	sc, err := lookupUnit(value[n:])
	if err != nil {
		return Perf{}, err
	}
	var p Perf
	p.Unit = sc.unit
	if p.Value, err = scaleNumber(v, sc); err != nil {
		return Perf{}, fmt.Errorf("value: %w", err)
	}
	for _, f := range []struct {
		name, text string
		dst        **Range
	}{{"warn", fields[1], &p.Warn}, {"crit", fields[2], &p.Crit}} {
		if f.text == "" {
			continue
		}
		r, err := ParseRange(f.text)
		if err == nil {
			r, err = scaleRange(r, sc)
		}
		if err != nil {
			return Perf{}, fmt.Errorf("%s: %w", f.name, err)
		}
		*f.dst = &r
	}
	for _, f := range []struct {
		name, text string
		dst        **float64
	}{{"min", fields[3], &p.Min}, {"max", fields[4], &p.Max}} {
		if f.text == "" {
			continue
		}
		v, err := parseNumber(f.text)
		if err == nil {
			v, err = scaleNumber(v, sc)
		}
		if err != nil {
			return Perf{}, fmt.Errorf("%s: %w", f.name, err)
		}
		*f.dst = &v
	}
	return p, nil
}

// String writes p in canonical form: label quoted only when it must be,
// shortest numbers, normalised unit, trailing empty fields dropped.
// ParsePerf reads it back to the same Perf, for every Perf ParsePerf
// returns; a hand-built label with control characters has no written form.
func (p Perf) String() string {
	var b strings.Builder
	if strings.ContainsAny(p.Label, " '=") {
		b.WriteByte('\'')
		b.WriteString(strings.ReplaceAll(p.Label, "'", "''"))
		b.WriteByte('\'')
	} else {
		b.WriteString(p.Label)
	}
	b.WriteByte('=')
	b.WriteString(formatNumber(p.Value))
	b.WriteString(p.Unit)
	fields := [4]string{}
	if p.Warn != nil {
		fields[0] = p.Warn.String()
	}
	if p.Crit != nil {
		fields[1] = p.Crit.String()
	}
	if p.Min != nil {
		fields[2] = formatNumber(*p.Min)
	}
	if p.Max != nil {
		fields[3] = formatNumber(*p.Max)
	}
	last := len(fields)
	for last > 0 && fields[last-1] == "" {
		last--
	}
	for _, f := range fields[:last] {
		b.WriteByte(';')
		b.WriteString(f)
	}
	return b.String()
}

// isSpace is the ASCII white space that separates items; newlines are
// among it because multi-line perfdata is joined into one string.
func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'
}

func skipSpace(s string, i int) int {
	for i < len(s) && isSpace(s[i]) {
		i++
	}
	return i
}

func skipItem(s string, i int) int {
	for i < len(s) && !isSpace(s[i]) {
		i++
	}
	return i
}
