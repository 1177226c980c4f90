package fakees

import (
	"encoding/json"
	"math"
	"strconv"
	"strings"
	"time"
)

// defaultDateFormat is the format of a date field without one.
const defaultDateFormat = "strict_date_optional_time||epoch_millis"

// parseDate converts a date field value to epoch milliseconds using the
// field's format list ("a||b"). Numbers are always epoch millis, as ES
// accepts them for the default format.
func parseDate(v any, format string) (int64, bool) {
	if format == "" {
		format = defaultDateFormat
	}
	if n, ok := v.(json.Number); ok {
		if strings.Contains(format, "epoch_second") && !strings.Contains(format, "epoch_millis") {
			f, err := n.Float64()
			return int64(f * 1000), err == nil
		}
		f, err := n.Float64()
		return int64(f), err == nil
	}
	switch x := v.(type) {
	case float64:
		return int64(x), true
	case int64:
		return x, true
	case int:
		return int64(x), true
	}
	s, ok := v.(string)
	if !ok {
		return 0, false
	}
	for _, f := range strings.Split(format, "||") {
		if ms, ok := parseDateWith(s, strings.TrimSpace(f)); ok {
			return ms, true
		}
	}
	return 0, false
}

func parseDateWith(s, format string) (int64, bool) {
	switch format {
	case "epoch_millis":
		f, err := strconv.ParseFloat(s, 64)
		return int64(f), err == nil
	case "epoch_second":
		f, err := strconv.ParseFloat(s, 64)
		return int64(f * 1000), err == nil
	case "strict_date_optional_time", "date_optional_time", "strict_date_optional_time_nanos",
		"strict_date_time", "date_time", "strict_date_time_no_millis", "date_time_no_millis",
		"iso8601", "strict_date", "date", "strict_date_hour_minute_second", "strict_date_hour_minute_second_millis":
		t, ok := parseISODate(s, false)
		return t.UnixMilli(), ok
	}
	if layout, ok := javaLayout(format); ok {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UnixMilli(), true
		}
		return 0, false
	}
	// An unknown named format: be lenient rather than reject valid data.
	t, ok := parseISODate(s, false)
	return t.UnixMilli(), ok
}

// looksLikeDate is ES's date_detection for a new string field: the value
// parses as strict_date_optional_time with at least year, month and day.
func looksLikeDate(s string) bool {
	_, ok := parseISODate(s, true)
	return ok
}

// parseISODate parses strict_date_optional_time: yyyy[-MM[-dd]]
// ['T'HH[:mm[:ss[.fraction]]]][Z|±HH[:mm]]. needDay demands yyyy-MM-dd.
func parseISODate(s string, needDay bool) (time.Time, bool) {
	p := 0
	num := func(n int) (int, bool) {
		if p+n > len(s) {
			return 0, false
		}
		v := 0
		for i := 0; i < n; i++ {
			c := s[p+i]
			if c < '0' || c > '9' {
				return 0, false
			}
			v = v*10 + int(c-'0')
		}
		p += n
		return v, true
	}
	year, ok := num(4)
	if !ok {
		return time.Time{}, false
	}
	month, day := 1, 1
	hasDay := false
	if p < len(s) && s[p] == '-' {
		p++
		if month, ok = num(2); !ok {
			return time.Time{}, false
		}
		if p < len(s) && s[p] == '-' {
			p++
			if day, ok = num(2); !ok {
				return time.Time{}, false
			}
			hasDay = true
		}
	}
	if needDay && !hasDay {
		return time.Time{}, false
	}
	hour, minute, sec, nanos := 0, 0, 0, 0
	loc := time.UTC
	if p < len(s) && s[p] == 'T' {
		p++
		if hour, ok = num(2); !ok {
			return time.Time{}, false
		}
		if p < len(s) && s[p] == ':' {
			p++
			if minute, ok = num(2); !ok {
				return time.Time{}, false
			}
			if p < len(s) && s[p] == ':' {
				p++
				if sec, ok = num(2); !ok {
					return time.Time{}, false
				}
				if p < len(s) && (s[p] == '.' || s[p] == ',') {
					p++
					start := p
					for p < len(s) && s[p] >= '0' && s[p] <= '9' && p-start < 9 {
						nanos = nanos*10 + int(s[p]-'0')
						p++
					}
					if p == start {
						return time.Time{}, false
					}
					for i := p - start; i < 9; i++ {
						nanos *= 10
					}
				}
			}
		}
		if p < len(s) {
			switch s[p] {
			case 'Z':
				p++
			case '+', '-':
				sign := 1
				if s[p] == '-' {
					sign = -1
				}
				p++
				zh, ok := num(2)
				if !ok {
					return time.Time{}, false
				}
				zm := 0
				if p < len(s) && s[p] == ':' {
					p++
				}
				if p < len(s) {
					if zm, ok = num(2); !ok {
						return time.Time{}, false
					}
				}
				loc = time.FixedZone("", sign*(zh*3600+zm*60))
			}
		}
	}
	if p != len(s) || month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || sec > 60 {
		return time.Time{}, false
	}
	t := time.Date(year, time.Month(month), day, hour, minute, sec, nanos, loc)
	if t.Day() != day {
		return time.Time{}, false
	}
	return t, true
}

// javaLayout converts a simple Java DateTimeFormatter pattern
// (yyyy-MM-dd HH:mm:ss.SSS, 'T' literals, Z/XXX zones) to a Go layout.
func javaLayout(f string) (string, bool) {
	repl := []struct{ java, goLayout string }{
		{"yyyy", "2006"}, {"uuuu", "2006"}, {"MM", "01"}, {"dd", "02"}, {"HH", "15"},
		{"mm", "04"}, {"ss", "05"}, {"SSSSSSSSS", "000000000"}, {"SSSSSS", "000000"}, {"SSS", "000"},
		{"XXX", "Z07:00"}, {"xxx", "-07:00"}, {"Z", "-0700"}, {"X", "Z07"},
	}
	var b strings.Builder
	for i := 0; i < len(f); {
		if f[i] == '\'' {
			j := strings.IndexByte(f[i+1:], '\'')
			if j < 0 {
				return "", false
			}
			b.WriteString(f[i+1 : i+1+j])
			i += j + 2
			continue
		}
		matched := false
		for _, r := range repl {
			if strings.HasPrefix(f[i:], r.java) {
				b.WriteString(r.goLayout)
				i += len(r.java)
				matched = true
				break
			}
		}
		if !matched {
			c := f[i]
			if (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') {
				return "", false
			}
			b.WriteByte(c)
			i++
		}
	}
	return b.String(), true
}

// parseDateMath evaluates a range bound on a date field: a date in the
// field's (or the query's) format, "now", or either followed by ES date math
// ("now-15m", "now/d", "2024-01-01||+1M"). roundUp selects the end of the
// rounded unit, which ES uses for gt and lte.
func parseDateMath(v any, format string, now time.Time, roundUp bool) (int64, bool) {
	s, isStr := v.(string)
	if !isStr {
		return parseDate(v, format)
	}
	var base time.Time
	var expr string
	switch {
	case strings.HasPrefix(s, "now"):
		base, expr = now.UTC(), s[3:]
	case strings.Contains(s, "||"):
		i := strings.Index(s, "||")
		ms, ok := parseDate(s[:i], format)
		if !ok {
			return 0, false
		}
		base, expr = time.UnixMilli(ms).UTC(), s[i+2:]
	default:
		return parseDate(s, format)
	}
	t := base
	for len(expr) > 0 {
		op := expr[0]
		expr = expr[1:]
		n := 1
		if op != '/' {
			j := 0
			for j < len(expr) && expr[j] >= '0' && expr[j] <= '9' {
				j++
			}
			if j > 0 {
				n, _ = strconv.Atoi(expr[:j])
			}
			expr = expr[j:]
		}
		if len(expr) == 0 {
			return 0, false
		}
		unit := expr[0]
		expr = expr[1:]
		switch op {
		case '+', '-':
			if op == '-' {
				n = -n
			}
			switch unit {
			case 'y':
				t = t.AddDate(n, 0, 0)
			case 'M':
				t = t.AddDate(0, n, 0)
			case 'w':
				t = t.AddDate(0, 0, 7*n)
			case 'd':
				t = t.AddDate(0, 0, n)
			case 'h', 'H':
				t = t.Add(time.Duration(n) * time.Hour)
			case 'm':
				t = t.Add(time.Duration(n) * time.Minute)
			case 's':
				t = t.Add(time.Duration(n) * time.Second)
			default:
				return 0, false
			}
		case '/':
			var next time.Time
			switch unit {
			case 'y':
				t = time.Date(t.Year(), 1, 1, 0, 0, 0, 0, time.UTC)
				next = t.AddDate(1, 0, 0)
			case 'M':
				t = time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC)
				next = t.AddDate(0, 1, 0)
			case 'w':
				wd := (int(t.Weekday()) + 6) % 7
				t = time.Date(t.Year(), t.Month(), t.Day()-wd, 0, 0, 0, 0, time.UTC)
				next = t.AddDate(0, 0, 7)
			case 'd':
				t = time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
				next = t.AddDate(0, 0, 1)
			case 'h', 'H':
				t = t.Truncate(time.Hour)
				next = t.Add(time.Hour)
			case 'm':
				t = t.Truncate(time.Minute)
				next = t.Add(time.Minute)
			case 's':
				t = t.Truncate(time.Second)
				next = t.Add(time.Second)
			default:
				return 0, false
			}
			if roundUp {
				t = next.Add(-time.Millisecond)
			}
		default:
			return 0, false
		}
	}
	return t.UnixMilli(), true
}

// parseTimeValue parses ES time values such as "30m", "2h", "7d", "500ms".
func parseTimeValue(s string) (time.Duration, bool) {
	s = strings.TrimSpace(s)
	units := []struct {
		suffix string
		d      time.Duration
	}{{"nanos", time.Nanosecond}, {"micros", time.Microsecond}, {"ms", time.Millisecond}, {"s", time.Second}, {"m", time.Minute}, {"h", time.Hour}, {"d", 24 * time.Hour}}
	for _, u := range units {
		if strings.HasSuffix(s, u.suffix) {
			f, err := strconv.ParseFloat(strings.TrimSuffix(s, u.suffix), 64)
			if err != nil || f < 0 || math.IsInf(f, 0) {
				return 0, false
			}
			return time.Duration(f * float64(u.d)), true
		}
	}
	return 0, false
}
