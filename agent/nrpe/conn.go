package nrpe

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/vigilmon/vigil/internal/nagios"
	"github.com/vigilmon/vigil/internal/nrpe"
)

// After the answer the server half-closes and reads what the client still
// sends, up to these bounds, before it closes: a v3 query carries 3 bytes
// after its buffer, and closing with them unread would make the kernel
// reset the connection, which can destroy the answer in flight.
const (
	drainTimeout = time.Second
	drainMax     = 64 << 10
)

// errCommandTimeout is the cause of a command's context when
// command_timeout ends it.
var errCommandTimeout = errors.New("nrpe command timed out")

// answer is what a query gets: a response, or nothing (drop).
type answer struct {
	drop   bool
	state  nagios.State
	text   string
	result string // the requests_total label
}

// serveConn serves one connection: handshake, one query, one answer.
func (s *Server) serveConn(raw net.Conn, log *slog.Logger) {
	defer raw.Close()
	s.m.active.Inc()
	defer s.m.active.Dec()
	_ = raw.SetDeadline(time.Now().Add(s.cfg.ConnectionTimeout))
	// Stop aborts every read and write in flight. Registered after the
	// deadline above, so that one cannot undo it.
	defer context.AfterFunc(s.ctx, func() { _ = raw.SetDeadline(time.Now()) })()
	conn := raw
	if s.tls != nil {
		tc := tls.Server(raw, s.tls)
		if err := tc.HandshakeContext(s.ctx); err != nil {
			s.dropped(log, reasonTLSHandshake, err)
			return
		}
		conn = tc
	}
	q, err := nrpe.Decode(conn, nrpe.MaxBuffer)
	if err == nil {
		err = q.Expect(nrpe.QueryPacket)
	}
	if err != nil {
		s.dropped(log, readReason(err), err)
		return
	}
	ans := s.respond(log, q)
	if ans.drop {
		return
	}
	out := nrpe.ResponseText(q.Version, []byte(ans.text))
	b, err := nrpe.Encode(nrpe.Packet{Version: q.Version, Type: nrpe.ResponsePacket,
		ResultCode: int16(ans.state.ExitCode()), Buffer: out})
	if err != nil {
		// ResponseText makes every text encodable; this is a bug.
		s.dropped(log, reasonWriteError, err)
		return
	}
	if s.ctx.Err() != nil {
		// Stop cancelled the command: its result says nothing about the host.
		s.dropped(log, reasonStopping, errors.New("server stopping"))
		return
	}
	// The command may have taken most of the read deadline, or more.
	_ = raw.SetWriteDeadline(time.Now().Add(s.cfg.ConnectionTimeout))
	if _, err := conn.Write(b); err != nil {
		s.m.refusals.WithLabelValues(reasonWriteError).Inc()
		s.m.requests.WithLabelValues(resultDropped).Inc()
		log.Warn("write nrpe answer failed (client gone? check_nrpe -t shorter than the command?)",
			"reason", reasonWriteError, "err", err)
		return
	}
	s.m.requests.WithLabelValues(ans.result).Inc()
	drain(conn, raw)
}

// drain half-closes the connection and discards what the client still
// sends until it hangs up, within drainTimeout and drainMax.
func drain(conn, raw net.Conn) {
	if tc, ok := conn.(*tls.Conn); ok {
		_ = tc.CloseWrite() // close_notify
	}
	if tcp, ok := raw.(*net.TCPConn); ok {
		_ = tcp.CloseWrite()
	}
	_ = raw.SetReadDeadline(time.Now().Add(drainTimeout))
	_, _ = io.CopyN(io.Discard, conn, drainMax)
}

// dropped counts and logs a connection closed without an answer.
func (s *Server) dropped(log *slog.Logger, reason string, err error) {
	s.m.refusals.WithLabelValues(reason).Inc()
	s.m.requests.WithLabelValues(resultDropped).Inc()
	log.Warn("nrpe request dropped without an answer", "reason", reason, "err", err)
}

// readReason classifies a failure to read a query.
func readReason(err error) string {
	switch {
	case errors.Is(err, nrpe.ErrVersion):
		return reasonBadVersion
	case errors.Is(err, nrpe.ErrType):
		return reasonBadType
	case errors.Is(err, nrpe.ErrBadCRC):
		return reasonBadCRC
	case errors.Is(err, nrpe.ErrBadLength):
		return reasonBadLength
	case errors.Is(err, nrpe.ErrTooLarge):
		return reasonTooLarge
	case errors.Is(err, os.ErrDeadlineExceeded):
		return reasonReadTimeout
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return reasonShortRead
	}
	return reasonReadError
}

// Texts of the answers the server makes itself. Where nrpe answers, the text
// is nrpe's; where nrpe drops the connection silently (check_nrpe then says
// "Receive header underflow"), the server answers UNKNOWN with the reason,
// so the operator sees what to change.
const (
	textNotDefined   = "NRPE: Command '%s' not defined"
	textTimedOut     = "NRPE: Command timed out after %s seconds"
	textArgsDisabled = "NRPE: Command arguments are disabled on this agent (allow_arguments: false)"
	textNoParams     = "NRPE: Command '%s' takes no arguments"
	textBadArgs      = "NRPE: Invalid arguments for command '%s': %v"
	textForbidden    = "NRPE: Request contains a forbidden character (%s)"
	textPanicked     = "NRPE: Command '%s' failed inside the agent (see its log)"
)

// logName is a command name fit for a log line: bounded, since it comes from
// the client.
func logName(name string) string {
	if len(name) > maxCommandName {
		return name[:maxCommandName] + "..."
	}
	return name
}

// respond validates the query in nrpe's order (forbidden characters over
// the whole query, then arguments, then the command) and runs the command.
func (s *Server) respond(log *slog.Logger, q nrpe.Packet) answer {
	query := string(q.Buffer)
	if query == "" {
		s.dropped(log, reasonEmptyQuery, errors.New("empty query"))
		return answer{drop: true}
	}
	if err := checkQuery(query); err != nil {
		return s.refuse(log, reasonMetachars, fmt.Sprintf(textForbidden, nastyShown), err)
	}
	name, args := nrpe.SplitQuery(query)
	log = log.With("command", logName(name), "version", q.Version)
	if strings.Contains(query, nrpe.ArgSeparator) && !s.cfg.AllowArguments {
		return s.refuse(log, reasonArgsDisabled, textArgsDisabled, errors.New("query has arguments"))
	}
	if name == nrpe.HelloCommand {
		log.Debug("nrpe hello answered")
		return answer{state: nagios.OK, text: s.hello, result: resultHello}
	}
	cmd, ok := s.commands[name]
	if !ok {
		return s.refuse(log, reasonUnknownCommand, fmt.Sprintf(textNotDefined, name), errors.New("command not defined"))
	}
	if len(args) > 0 && len(cmd.params) == 0 {
		return s.refuse(log, reasonNoParams, fmt.Sprintf(textNoParams, name), errors.New("command declares no params"))
	}
	if err := checkArgs(cmd.params, args); err != nil {
		return s.refuse(log, reasonBadArguments, fmt.Sprintf(textBadArgs, name, err), err)
	}
	return s.run(log, name, cmd, args)
}

// refuse answers UNKNOWN with text, and counts and logs the refusal. The
// log has the reason and err, never the arguments: they may hold secrets.
func (s *Server) refuse(log *slog.Logger, reason, text string, err error) answer {
	s.m.refusals.WithLabelValues(reason).Inc()
	log.Warn("nrpe request refused", "reason", reason, "err", err)
	return answer{state: nagios.Unknown, text: text, result: resultRefused}
}

// run runs cmd within command_timeout. A command that times out is answered
// as nrpe does, whatever it returned when it noticed.
func (s *Server) run(log *slog.Logger, name string, cmd command, args []string) answer {
	timeout := s.cfg.CommandTimeout
	ctx, cancel := context.WithTimeoutCause(s.ctx, timeout, errCommandTimeout)
	defer cancel()
	start := time.Now()
	res, panicked := call(ctx, cmd.run, args)
	took := time.Since(start)
	s.m.duration.Observe(took.Seconds())
	switch {
	case panicked != nil:
		log.Error("nrpe command panicked", "reason", reasonCommandPanicked, "panic", panicked)
		s.m.refusals.WithLabelValues(reasonCommandPanicked).Inc()
		return answer{state: nagios.Unknown, text: fmt.Sprintf(textPanicked, name), result: resultRefused}
	case errors.Is(context.Cause(ctx), errCommandTimeout):
		secs := strconv.FormatFloat(timeout.Seconds(), 'f', -1, 64)
		log.Warn("nrpe command timed out", "reason", reasonCommandTimeout, "timeout", timeout, "args", len(args))
		s.m.refusals.WithLabelValues(reasonCommandTimeout).Inc()
		return answer{state: nagios.Unknown, text: fmt.Sprintf(textTimedOut, secs), result: stateResult(nagios.Unknown)}
	}
	log.Debug("nrpe command answered", "state", res.State.String(), "args", len(args), "took", took)
	return answer{state: res.State, text: outputText(res), result: stateResult(res.State)}
}

// call runs f, turning a panic into a value: one bad check must not take the
// agent down.
func call(ctx context.Context, f RunFunc, args []string) (res nagios.Result, panicked any) {
	defer func() { panicked = recover() }()
	return f(ctx, args), nil
}

// outputText is what a plugin would have printed for res.
func outputText(res nagios.Result) string {
	text := res.Output
	if res.LongOutput != "" {
		text += "\n" + res.LongOutput
	}
	return nagios.FormatOutput(res.State, text, res.Perf)
}

func stateResult(st nagios.State) string {
	return strings.ToLower(nagios.StateFromExit(st.ExitCode()).String())
}
