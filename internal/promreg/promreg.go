// Package promreg registers Prometheus collectors so that a component built
// again on the same registry (an agent reload) takes its earlier
// collectors over instead of failing on duplicates.
package promreg

import (
	"errors"
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
)

// Reuse registers c, or returns the collector of the same type already
// registered under its name. Any other registration error (a name clash
// between different metrics, a programming error) is returned with c, which
// then still works but is not exported.
func Reuse[C prometheus.Collector](reg prometheus.Registerer, c C) (C, error) {
	err := reg.Register(c)
	if err == nil {
		return c, nil
	}
	if are, ok := errors.AsType[prometheus.AlreadyRegisteredError](err); ok {
		if existing, ok := are.ExistingCollector.(C); ok {
			return existing, nil
		}
	}
	return c, fmt.Errorf("register metric: %w", err)
}
