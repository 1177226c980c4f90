package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/vigilmon/vigil/collector/alert"
	"github.com/vigilmon/vigil/collector/notify"
	"github.com/vigilmon/vigil/internal/logging"
)

const notifyTestUsage = `usage: vigil-collector notify-test [-config FILE] [-timeout 30s] RECEIVER

Sends one test notification through every integration of RECEIVER, as the
running collector would (same config, same templates), and prints "ok" or the
error of each, and whether dispatch would retry that error. The test alert is
VigilTest{host=<this host>, severity=warning}; integrations mark it as a test.
Nothing is written to the store or the notification log.

Exit status: 0 when every integration succeeded, 1 when one failed or the
config is invalid, 2 on a usage error or an unknown receiver.

Flags:
`

// notifyTest is `vigil-collector notify-test RECEIVER`: a smoke test of one
// receiver's credentials and addresses, to run after editing collector.yaml
// and before waiting for a real alert to find out the password was wrong.
func notifyTest(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("vigil-collector notify-test", flag.ContinueOnError)
	fs.SetOutput(stderr)
	configPath := fs.String("config", "/etc/vigil/collector.yaml", "configuration file")
	timeout := fs.Duration("timeout", 30*time.Second, "how long all integrations together may take")
	fs.Usage = func() {
		fmt.Fprint(stderr, notifyTestUsage)
		fs.PrintDefaults()
	}
	if code, done := parseCommandFlags(fs, args); done {
		return code
	}
	if fs.NArg() != 1 || *timeout <= 0 {
		fs.Usage()
		return 2
	}
	name := fs.Arg(0)
	cfg, err := loadConfig(*configPath)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	i := slices.IndexFunc(cfg.Receivers, func(r ReceiverConfig) bool { return r.Name == name })
	if i < 0 {
		names := make([]string, len(cfg.Receivers))
		for j, r := range cfg.Receivers {
			names[j] = r.Name
		}
		fmt.Fprintf(stderr, "notify-test: no receiver %q in %s; configured receivers: %s\n", name, *configPath, strings.Join(names, ", "))
		return 2
	}

	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	// Only this receiver is built: a broken integration elsewhere (a missing
	// secret file, say) must not keep this one from being tested.
	receivers, err := buildReceivers(ctx, cfg.Receivers[i:i+1], logging.New(stderr, cfg.Log))
	if err != nil {
		fmt.Fprintf(stderr, "notify-test: %v\n", err)
		return 1
	}
	ints := receivers[name]
	if len(ints) == 0 {
		fmt.Fprintf(stderr, "notify-test: receiver %q has no integrations\n", name)
		return 1
	}
	host, err := os.Hostname()
	if err != nil {
		host = "unknown"
	}
	ctx = notify.WithGroup(ctx, notify.Group{Receiver: name, Key: "notify-test", Test: true, ExternalURL: cfg.ExternalURL})
	alerts := []alert.Alert{testAlert(host, time.Now())}

	// Concurrently, so that one hung integration does not use up the time of
	// the others; the results are printed in config order.
	type result struct {
		retry bool
		err   error
	}
	results := make([]result, len(ints))
	var wg sync.WaitGroup
	for j, in := range ints {
		wg.Go(func() {
			retry, err := in.Notifier.Notify(ctx, alerts)
			results[j] = result{retry, err}
		})
	}
	wg.Wait()

	code := 0
	for j, in := range ints {
		r := results[j]
		switch {
		case r.err == nil:
			fmt.Fprintf(stdout, "%s %s: ok\n", name, in.Name)
		default:
			code = 1
			verdict := "not retried: the request was refused"
			if r.retry {
				verdict = "dispatch would retry this"
			}
			if errors.Is(r.err, context.DeadlineExceeded) {
				verdict += fmt.Sprintf("; -timeout %s ran out", *timeout)
			}
			fmt.Fprintf(stdout, "%s %s: FAILED (%s): %v\n", name, in.Name, verdict, r.err)
		}
	}
	return code
}

// testAlert is the synthetic alert notify-test sends.
func testAlert(host string, now time.Time) alert.Alert {
	labels := alert.Labels{alert.LabelAlertname: "VigilTest", alert.LabelHost: host, alert.LabelSeverity: "warning"}
	return alert.Alert{
		ID: labels.Fingerprint(), Rule: "VigilTest", Labels: labels,
		Annotations: map[string]string{"summary": "Test notification from vigil-collector notify-test"},
		State:       alert.Firing, Severity: alert.Warning, ActiveAt: now, FiredAt: now,
	}
}
