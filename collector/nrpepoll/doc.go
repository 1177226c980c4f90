// Package nrpepoll polls legacy NRPE daemons from the collector, so hosts
// that still run nrpe (and not vigil-agent) get checks, soft/hard states,
// alerts and perfdata like any agent host. Each polled host appears as an
// agent with ID "nrpe@<host>"; its results take the ingest path of an
// agent's batch through Options.Sink.
//
// collector.yaml:
//
//	nrpe_targets:
//	  - host: web01.example.com      # host name in the API and status page
//	    address: 10.0.0.5:5666       # default: host, port 5666
//	    plaintext: false             # true for nrpe -n
//	    tls: {ca_file: /etc/vigil/nrpe-ca.pem}   # also cert_file, key_file, server_name, insecure_skip_verify
//	    timeout: 10s                 # whole query, connect to answer
//	    interval: 1m
//	    retry_interval: 15s          # while a problem is SOFT
//	    max_attempts: 3
//	    commands:
//	      - {name: load, command: check_load}
//	      - {name: disk_var, command: check_disk, args: ["20%", "10%", /var], interval: 5m}
//
// Protocol: one connection per query, v4 first, v2 when the daemon hangs up
// or answers with a version error (check_nrpe's fallback), remembered per
// target for an hour. TLS needs a daemon with a certificate: nrpe's default
// anonymous-DH TLS is something Go's crypto/tls does not implement.
package nrpepoll
