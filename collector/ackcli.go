package main

import (
	"flag"
	"fmt"
	"io"
	"net/url"
	"time"

	"github.com/vigilmon/vigil/collector/silence"
)

// ackRequest is the body of POST /api/v1/alerts/{id}/ack.
type ackRequest struct {
	Author   string `json:"author"`
	Comment  string `json:"comment"`
	Duration string `json:"duration,omitempty"`
}

// ackCmd is `vigil-collector ack ALERT_ID`.
func ackCmd(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("vigil-collector ack", flag.ContinueOnError)
	fs.SetOutput(stderr)
	api := addAPIFlags(fs)
	author := fs.String("author", loginName(), "who is on it")
	comment := fs.String("comment", "", "what is being done (required)")
	duration := fs.Duration("duration", 0, "end the acknowledgement after this long (default: when the severity changes or the alert resolves)")
	commandUsage(fs, stderr, "usage: vigil-collector ack -comment C [-author A] [-duration 4h] ALERT_ID\n\n"+
		"Acknowledges a firing alert: someone is on it, so its repeat notifications stop\n"+
		"until the acknowledgement expires, the alert changes severity or resolves.\n"+
		"ALERT_ID is the id field of GET /api/v1/alerts.\n"+apiFlagsHelp)
	if code, done := parseCommandFlags(fs, args); done {
		return code
	}
	if fs.NArg() != 1 {
		fmt.Fprintln(stderr, "ack: exactly one ALERT_ID is required")
		return 2
	}
	if *duration < 0 {
		fmt.Fprintf(stderr, "ack: -duration must be positive, got %s\n", *duration)
		return 2
	}
	c, err := api.client()
	if err != nil {
		fmt.Fprintf(stderr, "ack: %v\n", err)
		return 2
	}
	id := fs.Arg(0)
	req := ackRequest{Author: *author, Comment: *comment}
	if *duration > 0 {
		req.Duration = duration.String() // added to the collector's clock
	}
	var saved silence.Ack
	if err := c.call("POST", "/api/v1/alerts/"+url.PathEscape(id)+"/ack", nil, req, &saved); err != nil {
		fmt.Fprintf(stderr, "ack %s: %v\n", id, err)
		return 1
	}
	until := "until its severity changes or it resolves"
	if !saved.ExpiresAt.IsZero() {
		until = "until " + saved.ExpiresAt.UTC().Format(time.RFC3339) + " or its severity changes or it resolves"
	}
	fmt.Fprintf(stdout, "acknowledged %s (%s) by %s %s\n", id, saved.Severity, saved.Author, until)
	return 0
}

// unackCmd is `vigil-collector unack ALERT_ID`.
func unackCmd(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("vigil-collector unack", flag.ContinueOnError)
	fs.SetOutput(stderr)
	api := addAPIFlags(fs)
	author := fs.String("author", loginName(), "who removes it, for the history")
	commandUsage(fs, stderr, "usage: vigil-collector unack [-author A] ALERT_ID\n\n"+
		"Removes the acknowledgement of an alert, so its repeat notifications resume.\n"+apiFlagsHelp)
	if code, done := parseCommandFlags(fs, args); done {
		return code
	}
	if fs.NArg() != 1 {
		fmt.Fprintln(stderr, "unack: exactly one ALERT_ID is required")
		return 2
	}
	c, err := api.client()
	if err != nil {
		fmt.Fprintf(stderr, "unack: %v\n", err)
		return 2
	}
	id := fs.Arg(0)
	var q url.Values
	if *author != "" {
		q = url.Values{"by": {*author}}
	}
	if err := c.call("DELETE", "/api/v1/alerts/"+url.PathEscape(id)+"/ack", q, nil, nil); err != nil {
		fmt.Fprintf(stderr, "unack %s: %v\n", id, err)
		return 1
	}
	fmt.Fprintf(stdout, "unacknowledged %s\n", id)
	return 0
}
