package checkrun

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/sys/unix"

	"github.com/vigilmon/vigil/internal/config"
	"github.com/vigilmon/vigil/internal/nagios"
)

// Fault is a way a check misbehaved; the values are the reason label of
// vigil_agent_check_plugin_errors_total.
type Fault string

// The faults. One run may have several (a huge output and then a timeout).
const (
	FaultStart     Fault = "start"            // the plugin could not be started
	FaultTimeout   Fault = "timeout"          // it ran past its timeout and was stopped
	FaultSignal    Fault = "signal"           // it was killed by a signal (other than ours)
	FaultExitCode  Fault = "exit_code"        // it exited with a code outside 0..3
	FaultNoOutput  Fault = "no_output"        // it printed nothing on stdout
	FaultBinary    Fault = "binary_output"    // its stdout is not text
	FaultTruncated Fault = "output_truncated" // it printed more than output_cap
	FaultArgs      Fault = "bad_arguments"    // on-demand arguments were unusable
	FaultPanic     Fault = "panic"            // a built-in check panicked
	FaultCancelled Fault = "cancelled"        // the run was stopped by its caller
)

// Outcome is one run of a check: the result to report and what went wrong.
type Outcome struct {
	Result nagios.Result
	Faults []Fault
	// DroppedPerf counts perfdata items that did not parse and were left
	// out of Result.Perf.
	DroppedPerf int
}

// outcome interprets an execution. The policy, in short: the exit code is
// the state; whatever keeps the plugin from reporting properly makes the
// result UNKNOWN with the reason first in Output, except that a problem
// state the plugin did exit with (WARNING, CRITICAL) is never downgraded to
// UNKNOWN just because its output is unusable.
func (x *execution) outcome() Outcome {
	var o Outcome
	if x.startErr != nil {
		code := 126 // as a shell reports a program it found but could not run
		if errors.Is(x.startErr, fs.ErrNotExist) {
			code = 127
		}
		o.Result = nagios.Result{State: nagios.Unknown, Output: outOfBounds(code) + " " + x.startErr.Error()}
		o.Faults = []Fault{FaultStart}
		return o
	}

	stdout, binary := sanitize(x.stdout.buf)
	if x.stdout.truncated() {
		o.Faults = append(o.Faults, FaultTruncated)
		// A line cut at the cap could end in a shortened number ("load=12"
		// of "load=12.5"): keep whole lines only. With no line end at all
		// the first line is cut, and its perfdata with it.
		if i := strings.LastIndexByte(stdout, '\n'); i >= 0 {
			stdout = stdout[:i+1]
		}
	}
	exit := x.status.ExitStatus() // -1 when signalled
	res, err := nagios.ParseOutput([]byte(stdout), exit)
	if perrs, ok := errors.AsType[nagios.PerfErrors](err); ok {
		o.DroppedPerf = len(perrs)
	}
	if x.stdout.truncated() && !strings.Contains(stdout, "\n") {
		res.Perf, o.DroppedPerf = nil, 0
	}
	stderr, _ := sanitize(x.stderr.buf)
	stderr = strings.TrimSpace(stderr)

	switch {
	case x.timedOut, x.cancelled, x.status.Signaled():
		// Whatever a plugin printed before it was stopped is kept for
		// people, but its perfdata may be half a measurement.
		var reason string
		switch {
		case x.timedOut:
			reason = fmt.Sprintf("plugin timed out after %s", x.limit.Round(time.Millisecond))
			o.Faults = append(o.Faults, FaultTimeout)
			if x.killed {
				reason += " and was killed (SIGTERM was ignored)"
			}
		case x.cancelled:
			reason = "plugin run cancelled"
			o.Faults = append(o.Faults, FaultCancelled)
		default:
			reason = "plugin killed by signal " + strings.TrimPrefix(unix.SignalName(x.status.Signal()), "SIG")
			if x.status.CoreDump() {
				reason += " (core dumped)"
			}
			o.Faults = append(o.Faults, FaultSignal)
		}
		o.Result = nagios.Result{State: nagios.Unknown, Output: reason, LongOutput: joinLines(textOf(res), prefixed("stderr: ", stderr))}
		o.DroppedPerf = 0
	case binary:
		o.Faults = append(o.Faults, FaultBinary)
		o.Result = nagios.Result{
			State:      nagios.Worse(res.State, nagios.Unknown),
			Output:     fmt.Sprintf("(Plugin output is binary, not text: %d bytes with NUL bytes, not shown)", x.stdout.total),
			LongOutput: prefixed("stderr: ", stderr),
		}
		o.DroppedPerf = 0
	case exit > int(nagios.Unknown):
		o.Faults = append(o.Faults, FaultExitCode)
		res.Output = joinWords(outOfBounds(exit), res.Output)
		if strings.TrimSpace(stdout) == "" {
			res.LongOutput = prefixed("stderr: ", stderr)
		}
		o.Result = res
	case strings.TrimSpace(stdout) == "":
		o.Faults = append(o.Faults, FaultNoOutput)
		o.Result = nagios.Result{State: nagios.Worse(res.State, nagios.Unknown), Output: "(No output returned from plugin)"}
		if stderr != "" {
			first, rest, _ := strings.Cut(stderr, "\n")
			o.Result.Output = "(No output on stdout) stderr: " + first
			o.Result.LongOutput = rest
		}
	default:
		o.Result = res
	}
	if x.stdout.truncated() {
		o.Result.LongOutput = joinLines(o.Result.LongOutput, fmt.Sprintf("(output truncated: the plugin wrote %d bytes, output_cap is %s)", x.stdout.total, config.ByteSize(x.stdout.cap)))
	}
	return o
}

// outOfBounds is Nagios's text for an exit code outside 0..3, hints included.
func outOfBounds(code int) string {
	switch code {
	case 126:
		return "(Return code of 126 is out of bounds - plugin may not be executable)"
	case 127:
		return "(Return code of 127 is out of bounds - plugin may be missing)"
	}
	return fmt.Sprintf("(Return code of %d is out of bounds)", code)
}

// sanitize makes plugin output safe to store and show: invalid UTF-8 and
// control characters other than tab and line ends become U+FFFD. Old
// plugins print Latin-1 and scripts print colour codes, so that alone does
// not make output unusable; NUL bytes do (binary reports whether there were
// any), because text never contains them.
func sanitize(b []byte) (s string, binary bool) {
	binary = bytes.IndexByte(b, 0) >= 0
	clean := true
	for _, c := range b {
		if c >= utf8.RuneSelf || (c < ' ' && c != '\t' && c != '\n' && c != '\r') || c == 0x7f {
			clean = false
			break
		}
	}
	if clean {
		return string(b), binary // the common case: plain ASCII
	}
	s = strings.ToValidUTF8(string(b), string(utf8.RuneError))
	return strings.Map(func(r rune) rune {
		if r != '\t' && r != '\n' && r != '\r' && unicode.IsControl(r) {
			return utf8.RuneError
		}
		return r
	}, s), binary
}

// textOf is a result's text without perfdata, as people read it.
func textOf(r nagios.Result) string { return joinLines(r.Output, r.LongOutput) }

func joinLines(a, b string) string {
	switch {
	case a == "":
		return b
	case b == "":
		return a
	}
	return a + "\n" + b
}

func joinWords(a, b string) string {
	if b == "" {
		return a
	}
	return a + " " + b
}

func prefixed(prefix, s string) string {
	if s == "" {
		return ""
	}
	return prefix + s
}
