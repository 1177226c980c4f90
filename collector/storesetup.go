package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/vigilmon/vigil/collector/store/elastic"
)

const storeSetupUsage = `usage: vigil-collector store-setup [-config FILE] [-print]

Installs what the collector needs in the Elasticsearch or OpenSearch cluster of
its config: component and index templates with ECS mappings, the ILM (or ISM)
lifecycle policies, the data streams, the host registry and the alert state
index. The collector does the same at every start; this is for doing it ahead,
with an account that may, or for reviewing it.

Idempotent: what is installed at this version is left alone, what is older is
updated, what a newer collector installed is never downgraded.

-print writes the requests instead of sending them, without contacting the
cluster (it then assumes Elasticsearch 8.11+, with a time series data stream
unless time_series is off).

Exit status: 0 done, 1 failed or the config is invalid, 2 usage error.

Flags:
`

func storeSetup(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("vigil-collector store-setup", flag.ContinueOnError)
	fs.SetOutput(stderr)
	configPath := fs.String("config", "/etc/vigil/collector.yaml", "configuration file")
	print := fs.Bool("print", false, "print the requests instead of sending them")
	fs.Usage = func() { fmt.Fprint(stderr, storeSetupUsage); fs.PrintDefaults() }
	if err := fs.Parse(args); err != nil || fs.NArg() > 0 {
		if err == nil {
			fs.Usage()
		}
		return 2
	}
	cfg, err := loadConfig(*configPath)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	flavor, common, ok := clusterOf(&cfg)
	if !ok {
		fmt.Fprintf(stderr, "%s: no store.elasticsearch or store.opensearch configured; the embedded store needs no setup\n", *configPath)
		return 1
	}
	if *print {
		info := elastic.ClusterInfo{Flavor: flavor, TSDS: flavor == elastic.Elasticsearch && common.TimeSeries != "off"}
		fmt.Fprintf(stdout, "# %s, time series data stream for host metrics: %v, template version %d\n\n",
			flavor, info.TSDS, elastic.TemplateVersion)
		if err := elastic.Print(stdout, elastic.Plan(info, *common)); err != nil {
			fmt.Fprintln(stderr, err)
			return 1
		}
		return 0
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	client, err := newClient(ctx, &cfg)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	defer client.Close()
	info, err := client.Info(ctx, common.TimeSeries)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	results, err := client.Apply(ctx, elastic.Plan(info, *common))
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "%s %s, time series: %v\n", flavor, info.Version, info.TSDS)
	for _, r := range results {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", r.Step.Kind, r.Step.Name, r.Action)
	}
	_ = tw.Flush()
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	return 0
}
