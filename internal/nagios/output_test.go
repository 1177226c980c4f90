package nagios

import (
	"errors"
	"strings"
	"testing"
)

// The multi-line example of the monitoring-plugins developer guidelines.
const diskMultiline = `DISK OK - free space: / 3326 MB (56%); | /=2643MB;5948;5958;0;5968
/ 15272 MB (77%);
/boot 68 MB (69%);
/home 69357 MB (27%);
/var/log 819 MB (84%); | /boot=68MB;88;93;0;98
/home=69357MB;253404;253409;0;253414 
/var/log=818MB;970;975;0;980
`

func TestParseOutput(t *testing.T) {
	for _, tc := range []struct {
		name   string
		stdout string
		exit   int
		want   Result
	}{
		{
			"check_load", "LOAD OK - total load average: 0.15, 0.10, 0.05|load1=0.150;5.000;10.000;0; load5=0.100;4.000;6.000;0; load15=0.050;3.000;4.000;0;\n", 0,
			Result{State: OK, Output: "LOAD OK - total load average: 0.15, 0.10, 0.05", Perf: []Perf{
				{Label: "load1", Value: 0.15, Warn: rng(0, 5), Crit: rng(0, 10), Min: num(0)},
				{Label: "load5", Value: 0.1, Warn: rng(0, 4), Crit: rng(0, 6), Min: num(0)},
				{Label: "load15", Value: 0.05, Warn: rng(0, 3), Crit: rng(0, 4), Min: num(0)},
			}},
		},
		{
			"check_ping warning", "PING WARNING - Packet loss = 30%, RTA = 0.06 ms|rta=0.055000ms;100.000000;500.000000;0.000000 pl=30%;20;60;0\n", 1,
			Result{State: Warning, Output: "PING WARNING - Packet loss = 30%, RTA = 0.06 ms", Perf: []Perf{
				{Label: "rta", Value: 0.055 / 1e3, Unit: "s", Warn: rng(0, 0.1), Crit: rng(0, 0.5), Min: num(0)},
				{Label: "pl", Value: 30, Unit: "%", Warn: rng(0, 20), Crit: rng(0, 60), Min: num(0)},
			}},
		},
		{
			"check_http critical", "HTTP CRITICAL - Invalid HTTP response received from host: HTTP/1.1 500 Internal Server Error\n", 2,
			Result{State: Critical, Output: "HTTP CRITICAL - Invalid HTTP response received from host: HTTP/1.1 500 Internal Server Error"},
		},
		{
			"multi-line perfdata", diskMultiline, 0,
			Result{
				State:      OK,
				Output:     "DISK OK - free space: / 3326 MB (56%);",
				LongOutput: "/ 15272 MB (77%);\n/boot 68 MB (69%);\n/home 69357 MB (27%);\n/var/log 819 MB (84%);",
				Perf: []Perf{
					{Label: "/", Value: 2643 * mib, Unit: "B", Warn: rng(0, 5948*mib), Crit: rng(0, 5958*mib), Min: num(0), Max: num(5968 * mib)},
					{Label: "/boot", Value: 68 * mib, Unit: "B", Warn: rng(0, 88*mib), Crit: rng(0, 93*mib), Min: num(0), Max: num(98 * mib)},
					{Label: "/home", Value: 69357 * mib, Unit: "B", Warn: rng(0, 253404*mib), Crit: rng(0, 253409*mib), Min: num(0), Max: num(253414 * mib)},
					{Label: "/var/log", Value: 818 * mib, Unit: "B", Warn: rng(0, 970*mib), Crit: rng(0, 975*mib), Min: num(0), Max: num(980 * mib)},
				},
			},
		},
		{
			// Nagios 3 glued "5968" and "/boot=" together; a space is inserted.
			"first-line perfdata without trailing space", "OK | a=1\nlong | b=2\n", 0,
			Result{State: OK, Output: "OK", LongOutput: "long", Perf: []Perf{{Label: "a", Value: 1}, {Label: "b", Value: 2}}},
		},
		{
			"perfdata only on a later line", "OK - 3 services\nsvc1 up\nsvc2 up\n| up=3;;;0;3\n", 0,
			Result{State: OK, Output: "OK - 3 services", LongOutput: "svc1 up\nsvc2 up", Perf: []Perf{{Label: "up", Value: 3, Min: num(0), Max: num(3)}}},
		},
		{
			"long output without perfdata", "WARNING - 2 of 5 jobs late\njob a: 3h late   \njob b: 5h late\n\n\n", 1,
			Result{State: Warning, Output: "WARNING - 2 of 5 jobs late", LongOutput: "job a: 3h late\njob b: 5h late"},
		},
		{
			"CRLF", "OK - fine|time=1s\r\nline two\r\n", 0,
			Result{State: OK, Output: "OK - fine", LongOutput: "line two", Perf: []Perf{{Label: "time", Value: 1, Unit: "s"}}},
		},
		{"no newline at end", "OK", 0, Result{State: OK, Output: "OK"}},
		{"bar without perfdata", "OK |\n", 0, Result{State: OK, Output: "OK"}},
		{"empty", "", 0, Result{State: OK}},
		{"empty unknown", "", 3, Result{State: Unknown}},
		{"only newlines", "\n\n", 2, Result{State: Critical}},
		{"killed", "partial output", 137, Result{State: Unknown, Output: "partial output"}},
		{"did not start", "", -1, Result{State: Unknown}},
		{"reserved code", "OK - text says ok", 4, Result{State: Unknown, Output: "OK - text says ok"}},
		{"text never decides", "CRITICAL - but exit 0", 0, Result{State: OK, Output: "CRITICAL - but exit 0"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseOutput([]byte(tc.stdout), tc.exit)
			if err != nil {
				t.Fatalf("ParseOutput: %v", err)
			}
			checkResult(t, got, tc.want)
		})
	}
}

func checkResult(t *testing.T, got, want Result) {
	t.Helper()
	if got.State != want.State {
		t.Errorf("State = %v, want %v", got.State, want.State)
	}
	if got.Output != want.Output {
		t.Errorf("Output = %q, want %q", got.Output, want.Output)
	}
	if got.LongOutput != want.LongOutput {
		t.Errorf("LongOutput = %q, want %q", got.LongOutput, want.LongOutput)
	}
	checkPerfs(t, got.Perf, want.Perf)
}

func TestParseOutputBadPerf(t *testing.T) {
	stdout := "DISK WARNING - / 91% | /=91%;80;90 /var=U;80;90 /tmp=5%;x\nmore text\n"
	got, err := ParseOutput([]byte(stdout), 1)
	checkResult(t, got, Result{
		State:      Warning,
		Output:     "DISK WARNING - / 91%",
		LongOutput: "more text",
		Perf:       []Perf{{Label: "/", Value: 91, Unit: "%", Warn: rng(0, 80), Crit: rng(0, 90)}},
	})
	var pe PerfErrors
	if !errors.As(err, &pe) || len(pe) != 2 {
		t.Fatalf("err = %v, want PerfErrors with 2 items", err)
	}
	if !errors.Is(pe[0], ErrUndetermined) || !strings.Contains(pe[1].Error(), `"/tmp=5%;x"`) {
		t.Errorf("errors = %v", pe)
	}
}

// Nagios reads the '|' of a usage text as perfdata too: the caller gets the
// text up to it and two skipped items, not a silently shortened text.
func TestParseOutputUsage(t *testing.T) {
	stdout := "check_disk: Could not parse arguments\nUsage:\ncheck_disk -w limit -c limit [-W limit] [-K limit] {-p path | -x device}\n"
	got, err := ParseOutput([]byte(stdout), 3)
	checkResult(t, got, Result{State: Unknown, Output: "check_disk: Could not parse arguments", LongOutput: "Usage:\ncheck_disk -w limit -c limit [-W limit] [-K limit] {-p path"})
	var pe PerfErrors
	if !errors.As(err, &pe) || len(pe) != 2 {
		t.Fatalf("err = %v, want PerfErrors with 2 items", err)
	}
}

func TestFormatOutput(t *testing.T) {
	perf := []Perf{
		{Label: "/", Value: 91, Unit: "%", Warn: rng(0, 80), Crit: rng(0, 90), Min: num(0), Max: num(100)},
		{Label: "my disk", Value: 1024, Unit: "B"},
	}
	for _, tc := range []struct {
		name  string
		state State
		text  string
		perf  []Perf
		want  string
	}{
		{"text only", OK, "DISK OK - all fine", nil, "DISK OK - all fine"},
		{"with perf", Warning, "DISK WARNING - / 91%", perf, "DISK WARNING - / 91% | /=91%;80;90;0;100 'my disk'=1024B"},
		{"long output", Warning, "DISK WARNING - / 91%\n/ 91%\n/var 12%", perf[:1], "DISK WARNING - / 91% | /=91%;80;90;0;100\n/ 91%\n/var 12%"},
		{"empty text", Critical, "", nil, "CRITICAL"},
		{"empty text with perf", Unknown, "  ", perf[1:], "UNKNOWN | 'my disk'=1024B"},
		{"bar in text", OK, "a|b\nc|d", nil, "a¦b\nc¦d"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := FormatOutput(tc.state, tc.text, tc.perf)
			if got != tc.want {
				t.Fatalf("FormatOutput = %q\n          want %q", got, tc.want)
			}
			// What a plugin prints must read back as what it meant.
			res, err := ParseOutput([]byte(got+"\n"), int(tc.state))
			if err != nil {
				t.Fatalf("ParseOutput: %v", err)
			}
			first, rest, _ := strings.Cut(strings.ReplaceAll(tc.text, "|", "¦"), "\n")
			if strings.TrimSpace(first) == "" {
				first = tc.state.String()
			}
			checkResult(t, res, Result{State: tc.state, Output: strings.TrimSpace(first), LongOutput: rest, Perf: tc.perf})
		})
	}
}
