package main

import (
	"flag"
	"fmt"
	"io"
	"net/url"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/vigilmon/vigil/collector/alert"
	"github.com/vigilmon/vigil/collector/silence"
)

const silenceUsage = `usage: vigil-collector silence add|list|expire [FLAGS] ARGS

Manages the silences of a running collector. A silence holds the
notifications of every alert its matchers match for a time window; the
alerts still fire and show in the API and the history.

  silence add -comment C [-author A] [-duration 1h | -end TIME] [-start TIME] MATCHER...
        Creates a silence and prints its ID. MATCHER is name=value,
        name!=value, name=~regex or name!~regex (regexes are anchored); all
        must match. Quote for the shell: 'host=~"web-.*"'.
  silence list [-all] [-q]
        Lists active and pending silences (-all: expired ones too; -q: IDs only).
  silence expire [-author A] ID...
        Ends silences now.

Run "vigil-collector silence COMMAND -h" for the flags of each.
` + apiFlagsHelp

// silenceCmd is `vigil-collector silence COMMAND`.
func silenceCmd(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, silenceUsage)
		return 2
	}
	switch args[0] {
	case "add":
		return silenceAdd(args[1:], stdout, stderr)
	case "list", "ls", "query":
		return silenceList(args[1:], stdout, stderr)
	case "expire", "rm":
		return silenceExpire(args[1:], stdout, stderr)
	case "-h", "-help", "--help", "help":
		fmt.Fprint(stdout, silenceUsage)
		return 0
	}
	fmt.Fprintf(stderr, "silence: unknown command %q\n\n%s", args[0], silenceUsage)
	return 2
}

// silenceView is a silence as GET /api/v1/silences lists it.
type silenceView struct {
	silence.Silence
	Status string `json:"status"`
}

// silenceRequest is the body of POST /api/v1/silences.
type silenceRequest struct {
	Matchers  alert.Matchers `json:"matchers"`
	StartsAt  time.Time      `json:"starts_at,omitzero"`
	EndsAt    time.Time      `json:"ends_at,omitzero"`
	Duration  string         `json:"duration,omitempty"`
	CreatedBy string         `json:"created_by"`
	Comment   string         `json:"comment"`
}

func silenceAdd(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("vigil-collector silence add", flag.ContinueOnError)
	fs.SetOutput(stderr)
	api := addAPIFlags(fs)
	author := fs.String("author", loginName(), "who is silencing")
	comment := fs.String("comment", "", "why (required)")
	duration := fs.Duration("duration", time.Hour, "how long, from -start (or now); not with -end")
	end := fs.String("end", "", "when it ends, RFC 3339 (2026-11-22T18:00:00Z); not with -duration")
	start := fs.String("start", "", "when it starts, RFC 3339 (default now)")
	commandUsage(fs, stderr, "usage: vigil-collector silence add -comment C [-author A] [-duration 1h | -end TIME] [-start TIME] MATCHER...\n\n"+
		"Creates a silence and prints its ID. MATCHER: name=value, name!=value, name=~regex, name!~regex;\n"+
		"quote for the shell: 'host=~\"web-.*\"'.\n"+apiFlagsHelp)
	if code, done := parseCommandFlags(fs, args); done {
		return code
	}
	usageErr := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "silence add: "+format+"\n", a...)
		return 2
	}
	if fs.NArg() == 0 {
		return usageErr("at least one MATCHER is required, e.g. 'host=\"web-1\"'")
	}
	req := silenceRequest{CreatedBy: *author, Comment: *comment}
	// Parsed here so that a typo fails before anything is sent; the server
	// checks them again with everything else.
	for _, s := range fs.Args() {
		m, err := alert.ParseMatcher(s)
		if err != nil {
			return usageErr("%v", err)
		}
		req.Matchers = append(req.Matchers, m)
	}
	durationSet := false
	fs.Visit(func(f *flag.Flag) { durationSet = durationSet || f.Name == "duration" })
	var err error
	if *start != "" {
		if req.StartsAt, err = time.Parse(time.RFC3339, *start); err != nil {
			return usageErr("-start %q: want RFC 3339, e.g. 2026-11-22T18:00:00Z", *start)
		}
	}
	switch {
	case *end != "" && durationSet:
		return usageErr("give -duration or -end, not both")
	case *end != "":
		if req.EndsAt, err = time.Parse(time.RFC3339, *end); err != nil {
			return usageErr("-end %q: want RFC 3339, e.g. 2026-11-22T18:00:00Z", *end)
		}
	case *duration <= 0:
		return usageErr("-duration must be positive, got %s", *duration)
	default:
		// The collector adds it to its own clock, so a skewed client clock
		// does not shorten or stretch the silence.
		req.Duration = duration.String()
	}
	c, err := api.client()
	if err != nil {
		return usageErr("%v", err)
	}
	var saved silenceView
	if err := c.call("POST", "/api/v1/silences", nil, req, &saved); err != nil {
		fmt.Fprintf(stderr, "silence add: %v\n", err)
		return 1
	}
	fmt.Fprintln(stdout, saved.ID)
	return 0
}

func silenceList(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("vigil-collector silence list", flag.ContinueOnError)
	fs.SetOutput(stderr)
	api := addAPIFlags(fs)
	all := fs.Bool("all", false, "include expired silences")
	quiet := fs.Bool("q", false, "print only the IDs")
	commandUsage(fs, stderr, "usage: vigil-collector silence list [-all] [-q]\n\n"+
		"Lists active, then pending silences, newest first (-all: expired ones too). Times are UTC.\n"+apiFlagsHelp)
	if code, done := parseCommandFlags(fs, args); done {
		return code
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "silence list: unexpected arguments %q\n", fs.Args())
		return 2
	}
	c, err := api.client()
	if err != nil {
		fmt.Fprintf(stderr, "silence list: %v\n", err)
		return 2
	}
	var list []silenceView
	if err := c.call("GET", "/api/v1/silences", nil, nil, &list); err != nil {
		fmt.Fprintf(stderr, "silence list: %v\n", err)
		return 1
	}
	if *quiet {
		for _, s := range list {
			if *all || s.Status != silence.StatusExpired {
				fmt.Fprintln(stdout, s.ID)
			}
		}
		return 0
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tSTATUS\tMATCHERS\tENDS\tAUTHOR\tCOMMENT")
	for _, s := range list {
		if !*all && s.Status == silence.StatusExpired {
			continue
		}
		ms := make([]string, len(s.Matchers))
		for i, m := range s.Matchers {
			ms[i] = m.String()
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", s.ID, s.Status, oneLine(strings.Join(ms, " ")),
			s.EndsAt.UTC().Format(time.RFC3339), oneLine(s.CreatedBy), oneLine(s.Comment))
	}
	if err := tw.Flush(); err != nil {
		fmt.Fprintf(stderr, "silence list: %v\n", err)
		return 1
	}
	return 0
}

func silenceExpire(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("vigil-collector silence expire", flag.ContinueOnError)
	fs.SetOutput(stderr)
	api := addAPIFlags(fs)
	author := fs.String("author", loginName(), "who is expiring, for the history")
	commandUsage(fs, stderr, "usage: vigil-collector silence expire [-author A] ID...\n\n"+
		"Ends each silence now (a pending one never starts). Exit 1 when any fails.\n"+apiFlagsHelp)
	if code, done := parseCommandFlags(fs, args); done {
		return code
	}
	if fs.NArg() == 0 {
		fmt.Fprintln(stderr, "silence expire: at least one silence ID is required (see silence list)")
		return 2
	}
	c, err := api.client()
	if err != nil {
		fmt.Fprintf(stderr, "silence expire: %v\n", err)
		return 2
	}
	var q url.Values
	if *author != "" {
		q = url.Values{"by": {*author}}
	}
	code := 0
	for _, id := range fs.Args() {
		if err := c.call("DELETE", "/api/v1/silences/"+url.PathEscape(id), q, nil, nil); err != nil {
			fmt.Fprintf(stderr, "silence expire %s: %v\n", id, err)
			code = 1
			continue
		}
		fmt.Fprintf(stdout, "expired %s\n", id)
	}
	return code
}
