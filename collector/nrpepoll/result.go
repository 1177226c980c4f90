package nrpepoll

import (
	"context"
	"errors"
	"net"
	"strings"
	"syscall"
	"unicode/utf8"

	"github.com/vigilmon/vigil/internal/model"
	"github.com/vigilmon/vigil/internal/nagios"
)

// Values of the result label of vigil_collector_nrpe_polls_total besides
// the four states: why a query got no answer.
const (
	resultRefused  = "refused"
	resultTimeout  = "timeout"
	resultTLS      = "tls_error"
	resultNoAnswer = "no_answer"
	resultError    = "error"
)

// failure turns a query that got no answer into the check result people
// see. The policy, in short: we monitor the host's commands, not our socket.
//
//   - Connection refused is CRITICAL: the host is up and its NRPE service is
//     down, which someone has to fix (check_nrpe says CRITICAL too).
//   - Everything else is UNKNOWN: a timeout (host down, network partition,
//     overloaded daemon), a TLS or protocol failure, a refused query. The
//     command's state is not known, and paging CRITICAL for every command
//     of an unreachable host is the alert storm users complain about;
//     check_nrpe's CRITICAL on timeout is the habit we deliberately break
//     (its -u flag). Host reachability is a host check's job.
func failure(err error) (result nagios.Result, reason string) {
	var ce *ConnectError
	var ne net.Error
	isConnect := errors.As(err, &ce)
	switch {
	case isConnect && errors.Is(err, syscall.ECONNREFUSED):
		return nagios.Result{State: nagios.Critical, Output: "NRPE: connection refused by " + ce.Addr + ": is nrpe running?"}, resultRefused
	case errors.Is(err, context.DeadlineExceeded) || errors.As(err, &ne) && ne.Timeout():
		return nagios.Result{State: nagios.Unknown, Output: "NRPE: no answer within the timeout", LongOutput: clean(err.Error())}, resultTimeout
	case isConnect && ce.TLS:
		return nagios.Result{State: nagios.Unknown, Output: "NRPE: " + clean(err.Error()),
			LongOutput: "Go cannot speak the anonymous-DH TLS of an nrpe without ssl_cert_file; give the daemon a certificate, set tls.ca_file to its CA, or use plaintext"}, resultTLS
	case errors.Is(err, ErrNoAnswer):
		return nagios.Result{State: nagios.Unknown, Output: "NRPE: the daemon refused the query without an answer",
			LongOutput: clean(err.Error()) + "\nnrpe logs why: allowed_hosts, dont_blame_nrpe=0 with arguments, nasty_metachars, or a TLS/plaintext mismatch"}, resultNoAnswer
	}
	return nagios.Result{State: nagios.Unknown, Output: "NRPE: " + clean(err.Error())}, resultError
}

// stateResult is the result label of an answered query.
func stateResult(s nagios.State) string { return strings.ToLower(s.String()) }

// Bounds the ingest path puts on one check result (collector/ingest
// checks.go). Daemon output is untrusted; a result that breaks them would
// make the whole batch refused, so it is trimmed here instead.
const (
	maxOutput    = 64 << 10
	maxPerfItems = 256
	maxPerfLabel = 256
	maxPerfUnit  = 16
)

// checkResult is the wire form of one poll.
func checkResult(name, command string, res nagios.Result, attempt, maxAttempts int, hard bool, ts, durationUS int64) model.CheckResult {
	st := model.StateTypeSoft
	if hard {
		st = model.StateTypeHard
	}
	perf := nagios.WirePerf(res.Perf)
	kept := perf[:0]
	for _, p := range perf {
		if len(kept) == maxPerfItems {
			break
		}
		// Dropped rather than repaired: a changed label or unit would be a
		// different series.
		if len(p.Label) <= maxPerfLabel && utf8.ValidString(p.Label) && len(p.Unit) <= maxPerfUnit && utf8.ValidString(p.Unit) {
			kept = append(kept, p)
		}
	}
	if len(kept) == 0 {
		kept = nil
	}
	return model.CheckResult{
		Timestamp: ts, Name: name, Command: "nrpe:" + command,
		State: int(res.State), StateType: st, Attempt: attempt, MaxAttempts: maxAttempts,
		Output: clean(res.Output), LongOutput: clean(res.LongOutput),
		DurationUS: durationUS, Perf: kept,
	}
}

// clean makes daemon text valid UTF-8 (plugins print Latin-1 too) of at most
// maxOutput bytes, cut at a character boundary.
func clean(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	if len(s) <= maxOutput {
		return s
	}
	cut := maxOutput
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut]
}
