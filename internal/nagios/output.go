package nagios

import "strings"

// Result is what a plugin run means: the state from its exit code and its
// printed output split the Nagios way.
type Result struct {
	State State
	// Output is the first line before any '|', trimmed: the part that goes
	// into notifications.
	Output string
	// LongOutput is the following lines up to the first '|' among them,
	// newline-separated, each line and the whole trimmed of trailing white
	// space.
	LongOutput string
	// Perf holds every perfdata item that parsed, first line first.
	Perf []Perf
}

// ParseOutput splits what a plugin printed:
//
//	TEXT | PERFDATA
//	LONG OUTPUT LINE
//	LONG OUTPUT LINE | PERFDATA
//	PERFDATA
//
// Perfdata is everything after '|' on the first line, plus everything after
// the first '|' in the later lines including all lines after it (Nagios 3).
// The state comes from exit alone (StateFromExit), never from the text.
//
// Empty stdout gives Output "" and no error: whether a silent plugin is a
// failure is the caller's policy (the check runner knows the exit code, the
// timeout and stderr; this function does not). CRLF line ends, as plugins
// on Windows print them, are read like LF: text lines lose trailing white
// space including '\r', and '\r' separates perfdata items like a space.
//
// The returned Result is complete even when err is not nil: err is a
// PerfErrors listing the perfdata items that were skipped.
func ParseOutput(stdout []byte, exit int) (Result, error) {
	res := Result{State: StateFromExit(exit)}
	first, rest, _ := strings.Cut(string(stdout), "\n")
	var perf []string
	if out, p, ok := strings.Cut(first, "|"); ok {
		first = out
		perf = append(perf, p)
	}
	res.Output = strings.TrimSpace(first)

	var long []string
	if rest != "" {
		lines := strings.Split(rest, "\n")
		for i, line := range lines {
			if out, p, ok := strings.Cut(line, "|"); ok {
				long = append(long, out)
				perf = append(perf, p)
				perf = append(perf, lines[i+1:]...)
				break
			}
			long = append(long, line)
		}
	}
	for i, line := range long {
		// '\r' too: a CRLF line end, or stray ones before it.
		long[i] = strings.TrimRight(line, " \t\r")
	}
	res.LongOutput = strings.TrimRight(strings.Join(long, "\n"), " \t\r\n")

	// Joined with a space, not glued: see the package documentation.
	perfs, errs := ParsePerf(strings.Join(perf, " "))
	res.Perf = perfs
	if len(errs) > 0 {
		return res, PerfErrors(errs)
	}
	return res, nil
}

// FormatOutput returns what a plugin prints for text and perf, without a
// trailing newline:
//
//	first line of text | perf perf ...
//	the other lines of text
//
// It adds no service name and no state word (a caller that wants the
// conventional "DISK OK - " writes it into text). state is used only when
// text's first line is empty, so a notification never carries a blank
// line. A '|' in text would start perfdata for every reader of the output,
// so it is written as '¦'.
func FormatOutput(state State, text string, perf []Perf) string {
	text = strings.ReplaceAll(text, "|", "¦")
	first, rest, hasRest := strings.Cut(text, "\n")
	first = strings.TrimSpace(first)
	if first == "" {
		first = state.String()
	}
	var b strings.Builder
	b.WriteString(first)
	for i, p := range perf {
		if i == 0 {
			b.WriteString(" | ")
		} else {
			b.WriteByte(' ')
		}
		b.WriteString(p.String())
	}
	if hasRest {
		b.WriteByte('\n')
		b.WriteString(rest)
	}
	return b.String()
}
