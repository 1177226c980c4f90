package nrpe

import (
	"bytes"
	"fmt"
	"strings"
)

// ArgSeparator separates the command name and its arguments in a query
// (`check_disk!20%!10%`); check_nrpe -a joins its arguments with it.
const ArgSeparator = "!"

// SplitQuery splits a query into the command name and its arguments as
// nrpe's validate_request does with strtok(buf, "!"):
//
//   - empty fields vanish, so "check!!5" gives the arguments ["5"] and 5
//     becomes $ARG1$, not $ARG2$; a leading "!" is skipped the same way;
//   - only the first MaxCommandArguments arguments are kept; nrpe ignores
//     the rest without a word.
//
// Whether arguments are allowed at all (dont_blame_nrpe) and which bytes
// they may hold (nasty_metachars, "$(") is the server's policy, checked on
// the whole query before it is split.
func SplitQuery(query string) (command string, args []string) {
	fields := strings.FieldsFunc(query, func(r rune) bool { return r == '!' })
	if len(fields) == 0 {
		return "", nil
	}
	command, args = fields[0], fields[1:]
	if len(args) > MaxCommandArguments {
		args = args[:MaxCommandArguments]
	}
	if len(args) == 0 {
		args = nil
	}
	return command, args
}

// JoinQuery builds the query for command with arguments, as check_nrpe -c
// command -a args... does. Unlike check_nrpe it refuses what nrpe would
// misread instead of sending it: an empty argument (strtok drops it, so
// every later argument would shift to the wrong $ARGn$), an argument or
// command containing "!" or NUL, an empty command, and more than
// MaxCommandArguments arguments (nrpe would drop the extra ones).
func JoinQuery(command string, args ...string) (string, error) {
	if command == "" {
		return "", fmt.Errorf("join nrpe query: %w: empty command name", ErrQuery)
	}
	if strings.ContainsAny(command, "!\x00") {
		return "", fmt.Errorf("join nrpe query: %w: command name %q contains '!' or NUL", ErrQuery, command)
	}
	if len(args) > MaxCommandArguments {
		return "", fmt.Errorf("join nrpe query: %w: %d arguments, nrpe takes at most %d", ErrQuery, len(args), MaxCommandArguments)
	}
	for i, a := range args {
		if a == "" {
			return "", fmt.Errorf("join nrpe query: %w: argument %d ($ARG%d$) is empty, nrpe would drop it and shift the rest", ErrQuery, i+1, i+1)
		}
		if strings.ContainsAny(a, "!\x00") {
			return "", fmt.Errorf("join nrpe query: %w: argument %d ($ARG%d$) %q contains '!' or NUL", ErrQuery, i+1, i+1, a)
		}
	}
	if len(args) == 0 {
		return command, nil
	}
	return command + ArgSeparator + strings.Join(args, ArgSeparator), nil
}

// Plugin output the daemon reads before it builds a response: sizeof(v2_packet)
// - 1 bytes for a v2 answer, 64 KiB - 1 for v3/v4 (my_system).
const (
	v2Capture = V2PacketSize - 1
	v3Capture = 64*1024 - 1
)

// ResponseText turns plugin stdout into the text a response of this version
// carries, with the daemon's steps in its order: the output is a C string
// (it ends at the first NUL), capped at what the daemon captures, one
// trailing newline is stripped, and the result is cut to MaxText(version):
// a v2 answer keeps 1023 bytes, a v3/v4 answer up to 65535. The cut is by
// bytes, like nrpe's, and may split a UTF-8 sequence. An unknown version
// gives nil.
func ResponseText(version int, output []byte) []byte {
	capture := v3Capture
	switch version {
	case Version2:
		capture = v2Capture
	case Version3, Version4:
	default:
		return nil
	}
	if i := bytes.IndexByte(output, 0); i >= 0 {
		output = output[:i]
	}
	output = output[:min(len(output), capture)]
	output = bytes.TrimSuffix(output, []byte("\n"))
	return output[:min(len(output), MaxText(version))]
}
