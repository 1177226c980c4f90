package checks

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/vigilmon/vigil/internal/nagios"
)

// maxBody bounds what the http check reads of a body, for -r and the size.
const maxBody = 1 << 20

// httpCheck is check_http with a full URL in -u. Redirects are not
// followed. Without -e the status decides as check_http does by default:
// below 400 OK (3xx included), 4xx WARNING, 5xx CRITICAL; with -e any
// status outside the list is CRITICAL. A body not matching -r is CRITICAL.
// -w/-c are Nagios ranges on the response time in seconds (request through
// the last body byte). -C W[,C] checks the server certificate too: WARNING
// with fewer than W days left, CRITICAL with fewer than C (default 0, i.e.
// expired). Unlike check_http, -C does not skip the HTTP checks: the state
// is the worse of both.
type httpCheck struct {
	client     *http.Client
	now        func() time.Time
	url        string
	expect     []statusRange
	expectText string
	body       *regexp.Regexp
	timeout    time.Duration
	thresholds nagios.Thresholds
	certDays   *nagios.Thresholds
}

type statusRange struct{ lo, hi int }

func httpFlags(fs *flag.FlagSet, env Env) func() (Check, error) {
	rawURL := fs.String("u", "", "`URL` to get (http:// or https://)")
	expect := fs.String("e", "", "expected `statuses`: a list of codes and ranges, e.g. 200,204,300-399")
	body := fs.String("r", "", "the body must match `regexp`")
	warn := fs.String("w", "", "warning `range` on response time in seconds")
	crit := fs.String("c", "", "critical `range` on response time in seconds")
	cert := fs.String("C", "", "certificate days left: `W[,C]`, warn below W, critical below C (default 0)")
	insecure := fs.Bool("k", false, "do not verify the server certificate")
	timeout := secondsFlag(10 * time.Second)
	fs.Var(&timeout, "t", "timeout in `seconds`")
	return func() (Check, error) {
		u, err := url.Parse(*rawURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, fmt.Errorf("-u %q: want an http:// or https:// URL", *rawURL)
		}
		h := &httpCheck{now: env.Now, url: *rawURL, timeout: time.Duration(timeout), expectText: *expect}
		if h.thresholds, err = parseRanges("-w", *warn, "-c", *crit); err != nil {
			return nil, err
		}
		if *expect != "" {
			if h.expect, err = parseStatuses(*expect); err != nil {
				return nil, err
			}
		}
		if *body != "" {
			if h.body, err = regexp.Compile(*body); err != nil {
				return nil, fmt.Errorf("parse -r: %w", err)
			}
		}
		if *cert != "" {
			if u.Scheme != "https" {
				return nil, errors.New("-C needs an https:// URL")
			}
			w, c, _ := strings.Cut(*cert, ",")
			if c == "" {
				c = "0"
			}
			t, err := parseMinimums(w, c)
			if err != nil {
				return nil, fmt.Errorf("parse -C: %w", err)
			}
			h.certDays = &t
		}
		rt := env.Transport
		if tr, ok := rt.(*http.Transport); ok {
			tr = tr.Clone()
			// A fresh connection every run: the time measured includes the
			// handshake, as a plugin's would, and no idle connection (with
			// its goroutines) outlives Run.
			tr.DisableKeepAlives = true
			if *insecure {
				if tr.TLSClientConfig == nil {
					tr.TLSClientConfig = &tls.Config{}
				}
				tr.TLSClientConfig.InsecureSkipVerify = true
			}
			rt = tr
		} else if *insecure {
			return nil, errors.New("-k needs an *http.Transport to configure")
		}
		h.client = &http.Client{
			Transport:     rt,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		}
		return h, nil
	}
}

// parseStatuses reads "200,204,300-399".
func parseStatuses(s string) ([]statusRange, error) {
	var out []statusRange
	for part := range strings.SplitSeq(s, ",") {
		lo, hi, isRange := strings.Cut(strings.TrimSpace(part), "-")
		if !isRange {
			hi = lo
		}
		l, err1 := strconv.Atoi(lo)
		h, err2 := strconv.Atoi(hi)
		if err1 != nil || err2 != nil || l < 100 || h > 999 || l > h {
			return nil, fmt.Errorf("parse -e %q: %q is not a status code or range like 200-299", s, part)
		}
		out = append(out, statusRange{l, h})
	}
	return out, nil
}

func (h *httpCheck) statusState(code int) nagios.State {
	if h.expect != nil {
		for _, r := range h.expect {
			if code >= r.lo && code <= r.hi {
				return nagios.OK
			}
		}
		return nagios.Critical
	}
	switch {
	case code >= 500:
		return nagios.Critical
	case code >= 400:
		return nagios.Warning
	}
	return nagios.OK
}

func (h *httpCheck) Run(ctx context.Context) nagios.Result {
	ctx, cancel := context.WithTimeout(ctx, h.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, h.url, nil)
	if err != nil {
		return unknown("HTTP", fmt.Errorf("build request: %w", err))
	}
	req.Header.Set("User-Agent", "vigil-agent check http")
	start := h.now()
	resp, err := h.client.Do(req)
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			return result("HTTP", nagios.Critical, fmt.Sprintf("timeout after %s getting %s", h.timeout, h.url), nil, nil)
		}
		return result("HTTP", nagios.Critical, err.Error(), nil, nil)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return result("HTTP", nagios.Critical, fmt.Sprintf("read body of %s: %v", h.url, err), nil, nil)
	}
	elapsed := h.now().Sub(start)

	state := nagios.Worse(h.statusState(resp.StatusCode), h.thresholds.Evaluate(elapsed.Seconds()))
	text := fmt.Sprintf("%s %s - %d bytes in %s second response time", resp.Proto, resp.Status, len(body), seconds(elapsed))
	if h.expect != nil && h.statusState(resp.StatusCode) != nagios.OK {
		text = fmt.Sprintf("status %d not in %s - %s", resp.StatusCode, h.expectText, text)
	}
	if h.body != nil && !h.body.Match(body) {
		state = nagios.Worse(state, nagios.Critical)
		text = fmt.Sprintf("pattern %q not found - %s", h.body.String(), text)
	}
	perfs := []nagios.Perf{
		perf("time", round(elapsed.Seconds(), 6), "s", h.thresholds, ptr(0), ptr(h.timeout.Seconds())),
		perf("size", float64(len(body)), "B", nagios.Thresholds{}, ptr(0), nil),
	}
	if h.certDays != nil {
		cs, ctext, cperf := h.checkCert(resp.TLS)
		state = nagios.Worse(state, cs)
		text += ", " + ctext
		if cperf != nil {
			perfs = append(perfs, *cperf)
		}
	}
	return result("HTTP", state, text, nil, perfs)
}

// checkCert judges the leaf certificate the server presented.
func (h *httpCheck) checkCert(cs *tls.ConnectionState) (nagios.State, string, *nagios.Perf) {
	if cs == nil || len(cs.PeerCertificates) == 0 {
		return nagios.Unknown, "no server certificate", nil
	}
	leaf := cs.PeerCertificates[0]
	days := daysLeft(leaf, h.now())
	p := perf("cert_days", days, "", *h.certDays, nil, nil)
	return h.certDays.Evaluate(days), certText(leaf, days), &p
}

// daysLeft is the time until cert expires, in days; negative once expired.
func daysLeft(cert *x509.Certificate, now time.Time) float64 {
	return round(cert.NotAfter.Sub(now).Hours()/24, 2)
}

func certText(cert *x509.Certificate, days float64) string {
	name := cert.Subject.CommonName
	if name == "" && len(cert.DNSNames) > 0 {
		name = cert.DNSNames[0]
	}
	when := cert.NotAfter.UTC().Format(time.DateOnly)
	if days < 0 {
		return fmt.Sprintf("certificate '%s' expired %s", name, when)
	}
	return fmt.Sprintf("certificate '%s' expires in %d days (%s)", name, int(days), when)
}
