package checks

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/vigilmon/vigil/internal/nagios"
)

// Main runs `vigil-agent check NAME [flags]`: args is NAME and its flags.
// It behaves as a Nagios plugin: one line "SERVICE STATE - text | perfdata"
// and the long output on stdout, exit code 0-3. Bad arguments print
// "SERVICE UNKNOWN - reason" and exit 3, as does -h after printing usage,
// the way monitoring-plugins do.
func Main(args []string, stdout, stderr io.Writer) int {
	return runMain(context.Background(), args, stdout, stderr, DefaultEnv())
}

func runMain(ctx context.Context, args []string, stdout, stderr io.Writer, env Env) int {
	if len(args) == 0 || isHelp(args[0]) {
		fmt.Fprint(stdout, overview())
		return nagios.Unknown.ExitCode()
	}
	fs, c, err := parse(args, env)
	switch {
	case errors.Is(err, flag.ErrHelp):
		fmt.Fprint(stdout, checkUsage(args[0], fs))
		return nagios.Unknown.ExitCode()
	case err != nil:
		prefix := "UNKNOWN"
		if b, ok := registry()[args[0]]; ok {
			prefix = b.service + " UNKNOWN"
		}
		fmt.Fprintf(stdout, "%s - %v\n", prefix, err)
		if fs != nil {
			fmt.Fprint(stderr, checkUsage(args[0], fs))
		}
		return nagios.Unknown.ExitCode()
	}
	res := c.Run(ctx)
	text := res.Output
	if res.LongOutput != "" {
		text += "\n" + res.LongOutput
	}
	fmt.Fprintln(stdout, nagios.FormatOutput(res.State, text, res.Perf))
	return res.State.ExitCode()
}

func isHelp(s string) bool {
	return s == "-h" || s == "-help" || s == "--help"
}

func overview() string {
	var b strings.Builder
	b.WriteString("Usage: vigil-agent check NAME [flags]\n\nBuilt-in checks (NAME -h for flags):\n")
	reg := registry()
	for _, n := range Names() {
		fmt.Fprintf(&b, "  %-11s %s\n", n, reg[n].synopsis)
	}
	return b.String()
}

func checkUsage(name string, fs *flag.FlagSet) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Usage: vigil-agent check %s [flags]\n\n%s.\n\nFlags:\n", name, registry()[name].synopsis)
	fs.SetOutput(&b)
	fs.PrintDefaults()
	fs.SetOutput(io.Discard)
	return b.String()
}
